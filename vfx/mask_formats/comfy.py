"""``comfy``: what ComfyUI's image loaders read as a mask batch.

``OUT/`` holds:

- ``masks/00000.png`` ...: 8-bit grayscale, white = the region to change (the
  convention of ComfyUI's ``MASK``: 1 = change); soft unless ``--threshold``.
  Load the folder with a batch image loader and convert the image to a mask
  (channel red); do not route it through an alpha channel, which ComfyUI inverts;
- ``images/00000.png`` ...: the matching source frames, when the video is known;
- ``vfx-masks.json``: the export description and the conform plan.

The conform options are those of ``vace`` but off by default (``--frames`` and
``--sides`` default to ``none``); set them for Wan-based workflows.
"""

from __future__ import annotations

from pathlib import Path

from vfx.io.atomic import atomic_output
from vfx.mask_formats.conform import Conform, conformed_frames
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.png import frame_name, write_png_image
from vfx.mask_formats.sidecar import write_sidecar
from vfx.masks.morphology import to_uint8

MASK_DIR = "masks"
IMAGE_DIR = "images"


def write_comfy(job: ExportJob, out: Path, conform: Conform) -> int:
    """Write the ComfyUI mask (and image) sequences to the folder ``out``; returns the count."""
    plan = conform.plan(job.frame_count, job.width, job.height, job.fps)
    with_video = job.video is not None
    with atomic_output(out, directory=True) as tmp:
        (tmp / MASK_DIR).mkdir()
        if with_video:
            (tmp / IMAGE_DIR).mkdir()
        frames = conformed_frames(job.frames(with_video=with_video), plan)
        for out_index, frame in enumerate(frames):
            (alpha,) = frame.masks.values()
            name = frame_name(out_index)
            write_png_image(tmp / MASK_DIR / name, plan.image(to_uint8(alpha), mask=True))
            if with_video:
                assert frame.rgb is not None  # frames(with_video=True)
                write_png_image(tmp / IMAGE_DIR / name, plan.image(frame.rgb, mask=False))
        description = job.conformed_description(
            "comfy", plan, mask_path=MASK_DIR, image_path=IMAGE_DIR if with_video else None
        )
        write_sidecar(tmp, description)
    return plan.frame_count
