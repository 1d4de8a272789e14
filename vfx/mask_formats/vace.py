"""``vace``: inputs for Wan VACE video inpainting / outpainting.

``OUT/`` holds:

- ``src_mask.mp4``: white (255) = generate, black (0) = keep; binary (cut at
  0.5, as VACE itself does), lossless H.264 so no gray creeps in;
- ``src_video.mp4``: the source frames with the masked pixels set to gray 127,
  as VACE's own pre-processing does, in H.264 yuv420p (``qp 0``): the format VACE's
  loaders, browsers and QuickTime read. Inside the region the gray decodes as
  127 (within 1); chroma at half resolution softens the region's edge by a pixel,
  which VACE's binarised mask covers;
- ``vfx-masks.json``: the export description and the conform plan (which
  source frame each output frame is, padding/trimming, size before and after).

Both videos are conformed to 4n+1 frames and sides divisible by 16 (padding by
default; ``--frames trim``, ``--sides resize``), optionally resampled to a
target fps (``--fps 16`` is Wan's native rate). ``--invert`` makes the
background the region to generate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.writer import LOSSLESS_H264_PIX_FMT, lossless_writer
from vfx.mask_formats.conform import Conform, conformed_frames
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.mask_video import mask_video_writer
from vfx.mask_formats.sidecar import write_sidecar
from vfx.masks.morphology import to_uint8

MASK_FILE = "src_mask.mp4"
VIDEO_FILE = "src_video.mp4"
GRAY = 127
# uint8 level at which a conformed mask counts as "generate" (alpha 0.5).
CUT_LEVEL = 128


def write_vace(job: ExportJob, out: Path, conform: Conform) -> int:
    """Write the VACE inputs to the folder ``out``; returns the number of output frames."""
    if conform.frames == "none" or conform.sides == "none":
        raise VfxError("VACE needs 4n+1 frames and sides divisible by 16; use pad, trim or resize")
    plan = conform.plan(job.frame_count, job.width, job.height, job.require_fps("vace"))
    assert plan.fps is not None  # a plan made with a known rate keeps one
    with atomic_output(out, directory=True) as tmp:
        mask_writer = mask_video_writer(
            tmp / MASK_FILE, size=plan.size, fps=plan.fps, codec="h264", shown_as=out / MASK_FILE
        )
        video_writer = lossless_writer(
            tmp / VIDEO_FILE,
            size=plan.size,
            fps=plan.fps,
            codec="h264",
            gray=False,
            shown_as=out / VIDEO_FILE,
        )
        with mask_writer, video_writer:
            for frame in conformed_frames(job.frames(with_video=True), plan):
                (alpha,) = frame.masks.values()
                assert frame.rgb is not None  # frames(with_video=True)
                generate = plan.image(to_uint8(alpha), mask=True) >= CUT_LEVEL
                source = plan.image(frame.rgb, mask=False).copy()
                source[generate] = GRAY
                mask_writer.write_frame(np.where(generate, np.uint8(255), np.uint8(0)))
                video_writer.write_frame(source)
        description = job.conformed_description(
            "vace",
            plan,
            mask_path=MASK_FILE,
            video_path=VIDEO_FILE,
            video_encoding={"codec": "h264", "pix_fmt": LOSSLESS_H264_PIX_FMT, "qp": 0},
        )
        write_sidecar(tmp, description)
    return plan.frame_count
