"""Folders of JPEG/PNG frames, read with OpenCV in the order of the number in each name.

Frames are ordered by the last run of digits in the file stem (``frame_7.png``
comes before ``frame_10.png``), which is how image sequences are numbered.
OpenCV decodes the same pixels as Pillow (FFmpeg's MJPEG decoder does not),
so a folder gives the same frames here as in the reference SAM 2 loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from vfx import limits
from vfx.errors import VfxError
from vfx.io.video_source import Frame, VideoInfo, VideoReader

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def numbered_images(folder: Path) -> list[Path]:
    """The JPEG/PNG files of ``folder`` ordered by the number in their names.

    Raises :class:`VfxError` when there is none, or when a name carries no number.
    """
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise VfxError(f"folder {folder} holds no .jpg/.jpeg/.png frames; point to a frame folder")
    keyed = []
    for path in files:
        match = _NUMBER.search(path.stem)
        if match is None:
            raise VfxError(
                f"frame {path} has no number in its name; "
                "name frames like 00001.png so their order is known"
            )
        keyed.append((int(match.group(1)), path.name, path))
    return [path for _, _, path in sorted(keyed)]


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` from an image file's header, without decoding its pixels.

    Raises:
        VfxError: the file is not a readable image, or declares more pixels than
            :data:`vfx.limits.IMAGE_PIXELS` (a small file can claim 20000 x 20000).
    """
    from PIL import Image, UnidentifiedImageError

    subject = f"image {path}"
    try:
        with Image.open(path) as img:
            width, height = img.size
    except Image.DecompressionBombError:  # Pillow's own, larger bound
        limit = limits.IMAGE_PIXELS
        raise VfxError(
            f"{subject} has far more pixels than the limit of {limit.value}; "
            f"if that is intended, downscale it (the bound is {limit.env})"
        ) from None
    except (OSError, UnidentifiedImageError) as exc:
        raise VfxError(f"{path} is not a readable image ({exc}); check or replace it") from None
    limits.IMAGE_PIXELS.check(width * height, f"{subject} ({width}x{height})")
    return width, height


def read_rgb(path: Path) -> np.ndarray:
    """Decode one image file to ``[H, W, 3]`` uint8 RGB (alpha dropped, grey expanded).

    The header is checked first (:func:`image_size`), so an image bomb is never decoded.
    """
    image_size(path)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise VfxError(f"frame {path} is not a readable JPEG/PNG image; check or replace the file")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class FrameFolderReader(VideoReader):
    """Frames from numbered image files; ``fps`` sets their times (default 30)."""

    def __init__(self, folder: Path, fps: float = 30.0) -> None:
        self._files = numbered_images(folder)
        first = read_rgb(self._files[0])
        height, width = first.shape[:2]
        suffixes = {p.suffix.lower() for p in self._files}
        super().__init__(
            VideoInfo(
                width=width,
                height=height,
                fps=float(fps),
                frame_count=len(self._files),
                duration=len(self._files) / fps,
                rotation=0,
                codec="png"
                if suffixes == {".png"}
                else "jpeg"
                if ".png" not in suffixes
                else "png+jpeg",
                pix_fmt="rgb24",
                has_audio=False,
                path=folder,
            )
        )

    def _generate(self, start: int, stop: int) -> Iterator[Frame]:
        expected = (self.info.height, self.info.width, 3)
        for index in range(start, stop):
            rgb = read_rgb(self._files[index])
            if rgb.shape != expected:
                raise VfxError(
                    f"frame {self._files[index]} is {rgb.shape[1]}x{rgb.shape[0]} but the first "
                    f"frame is {self.info.width}x{self.info.height}; make all frames the same size"
                )
            yield Frame(index=index, time=index / self.info.fps, rgb=rgb)
