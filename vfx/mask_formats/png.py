"""``png``: lossless 8-bit grayscale PNG sequences (white = object) or label maps.

Layouts (``OUT`` is a folder, written atomically):

- ``--combine separate``: ``OUT/<id>/00000.png`` ... one folder per object;
- ``--combine union``: ``OUT/00000.png`` ... one mask (what ProPainter reads);
- ``--combine labels``: ``OUT/00000.png`` ... pixel value = object id, 0 = none.

``OUT/vfx-masks.json`` records ids, names, fps and the layout, so that
``--masks OUT`` reads the folder back exactly as it was exported.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.sidecar import write_sidecar
from vfx.masks.morphology import to_uint8


def frame_name(index: int) -> str:
    """File name of frame ``index`` in every PNG sequence vfx writes."""
    return f"{index:05d}.png"


def write_png_image(path: Path, image: np.ndarray) -> None:
    """Write one ``[H, W]`` or ``[H, W, 3]`` (RGB) uint8 image as PNG."""
    data = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    if not cv2.imwrite(str(path), data, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise VfxError(f"cannot write {path}; check the disk space and permissions")


def write_png(job: ExportJob, out: Path) -> int:
    """Write the export to the folder ``out``; returns the number of frames."""
    with atomic_output(out, directory=True) as tmp:
        if job.layout == "objects":
            for obj in job.objects:
                (tmp / str(obj)).mkdir()
        count = 0
        for frame in job.frames():
            name = frame_name(frame.index)
            if frame.labels is not None:
                write_png_image(tmp / name, frame.labels)
            elif job.layout == "mask":
                (alpha,) = frame.masks.values()
                write_png_image(tmp / name, to_uint8(alpha))
            else:
                for obj, alpha in frame.masks.items():
                    write_png_image(tmp / str(obj) / name, to_uint8(alpha))
            count += 1
        write_sidecar(tmp, job.description("png"))
    return count
