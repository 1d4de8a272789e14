"""``png``: lossless 8-bit grayscale PNG sequences (white = object) or label maps, written
by :func:`write_png` and read back (with the mask images other tools write) by
:class:`ImageSequence`.

Layouts (``OUT`` is a folder, written atomically):

- ``--combine separate``: ``OUT/<id>/00000.png`` ... one folder per object;
- ``--combine union``: ``OUT/00000.png`` ... one mask (what ProPainter reads);
- ``--combine labels``: ``OUT/00000.png`` ... pixel value = object id, 0 = none.

``OUT/vfx-masks.json`` records ids, names, fps and the layout, so that
``--masks OUT`` reads the folder back exactly as it was exported.

Reading takes any folder of grayscale images, one per frame, ordered by the last
number in the file name (8- or 16-bit; JPEG and WebP are treated as lossy; palette
PNGs, DAVIS style, give their palette indices).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.frame_folder import image_size
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.sidecar import write_sidecar
from vfx.masks.morphology import to_uint8

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
LOSSY_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".webp"})
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


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


def mask_images_in(folder: Path) -> list[Path]:
    """The mask images in ``folder`` (any of :data:`IMAGE_SUFFIXES`, hidden files skipped)."""
    return [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    ]


class ImageSequence:
    """Mask images ordered by the last number in their names; read on demand."""

    def __init__(self, files: list[Path]) -> None:
        numbered = []
        for f in files:
            match = _LAST_NUMBER.search(f.stem)
            if match is None:
                raise VfxError(
                    f"mask image {f.name} has no frame number in its name; name it like 00000.png"
                )
            numbered.append((int(match.group(1)), f))
        numbered.sort()
        numbers = [n for n, _ in numbered]
        folder = files[0].parent
        for a, b in itertools.pairwise(numbers):
            if a == b:
                raise VfxError(f"mask frame {a} appears twice in {folder}; keep one image a frame")
            if b != a + 1:
                raise VfxError(
                    f"mask frame {a + 1} is missing in {folder} (numbers jump from {a} to {b}); "
                    "provide one image per frame, numbered consecutively"
                )
        self.files = [f for _, f in numbered]
        self.frame_count = len(self.files)
        self.lossless = self.files[0].suffix.lower() not in LOSSY_IMAGE_SUFFIXES
        try:
            with Image.open(self.files[0]) as first:
                self.palette = first.mode == "P"
        except OSError as exc:
            raise VfxError(f"cannot read mask image {self.files[0]} ({exc}); replace it") from exc
        sample = self._decode(self.files[0])
        self.size: tuple[int, int] = (sample.shape[1], sample.shape[0])
        self.dtype: np.dtype = sample.dtype
        self.peak = 65535 if sample.dtype == np.uint16 else 255

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W]`` uint8/uint16 gray (palette indices for palette PNGs)."""
        path = self.files[index]
        width, height = image_size(path)  # the header, checked before decoding
        if (width, height) != self.size:
            raise VfxError(
                f"mask image {path} is {width}x{height}, the first one "
                f"{self.size[0]}x{self.size[1]}; give every frame the same size"
            )
        img = self._decode(path)
        if img.dtype != self.dtype:
            raise VfxError(
                f"mask image {path} is {8 * img.dtype.itemsize}-bit, the first one "
                f"{8 * self.dtype.itemsize}-bit; save every frame at one bit depth"
            )
        if (img.shape[1], img.shape[0]) != self.size:
            raise VfxError(
                f"mask image {path} is {img.shape[1]}x{img.shape[0]}, the first one "
                f"{self.size[0]}x{self.size[1]}; give every frame the same size"
            )
        return img

    def _decode(self, path: Path) -> np.ndarray:
        """The image at ``path`` as ``[H, W]`` uint8/uint16 gray (palette indices for
        palette PNGs), whatever its size."""
        if self.palette:
            with Image.open(path) as img:
                return np.asarray(img)
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise VfxError(f"cannot decode mask image {path}; replace it with a valid PNG")
        if img.dtype not in (np.uint8, np.uint16):
            raise VfxError(
                f"mask image {path} holds {img.dtype} values; save masks as 8- or 16-bit "
                "grayscale (white = object)"
            )
        if img.ndim == 3:
            img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
        return img
