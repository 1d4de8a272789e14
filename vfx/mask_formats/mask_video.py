"""Grayscale mask videos: :class:`GrayVideo` reads one frame at a time, :func:`mask_video_writer`
writes them.

A mask video holds one mask (or one label map) per frame in its luma. Lossless
codecs (FFV1, PNG, ...) give the stored values exactly; lossy ones (H.264, VP9)
add ringing near black and white, which :func:`gray_to_alpha` flattens. vfx writes
FFV1 (bit-exact) or ``qp 0`` H.264, with its JSON description in the container tag
:data:`METADATA_KEY`, through the same encoder as renders (:mod:`vfx.io.moviepy_pipe`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from vfx.errors import VfxError
from vfx.io.writer import lossless_writer

if TYPE_CHECKING:
    from vfx.io.moviepy_pipe import RawPipeWriter

LOSSLESS_CODECS = frozenset(
    {"ffv1", "png", "qtrle", "rawvideo", "utvideo", "huffyuv", "ffvhuff", "magicyuv", "apng"}
)
METADATA_KEY = "VFX_MASKS"
"""Container tag under which vfx's own mask videos carry their JSON description."""

LOSSY_BLACK = 16
LOSSY_WHITE = 239
"""On lossy input, values up to LOSSY_BLACK read as 0 and from LOSSY_WHITE as 1."""


def mask_video_writer(
    path: Path,
    *,
    size: tuple[int, int],
    fps: float,
    codec: str = "ffv1",
    description: dict | None = None,
    shown_as: Path | None = None,
) -> RawPipeWriter:
    """A lossless writer of ``[H, W]`` uint8 masks (see :func:`vfx.io.writer.lossless_writer`);
    ``description`` goes into the container tag :data:`METADATA_KEY` (kept by Matroska)."""
    tags = None if description is None else {METADATA_KEY: json.dumps(description)}
    return lossless_writer(path, size=size, fps=fps, codec=codec, metadata=tags, shown_as=shown_as)


def gray_to_alpha(gray: np.ndarray, *, lossless: bool, peak: int = 255) -> np.ndarray:
    """Turn a ``[H, W]`` integer gray mask into ``[H, W]`` float32 alpha in 0..1.

    Lossless values map linearly (``v / peak``). Lossy values ramp from 0 at
    :data:`LOSSY_BLACK` to 1 at :data:`LOSSY_WHITE`, so compression noise around
    black and white does not leak faint mask into the background.
    """
    if lossless:
        # the same arithmetic as the masklet store's, so 8-bit values read back bit-identical
        return np.multiply(gray, np.float32(1.0 / peak), dtype=np.float32)
    scale = peak / 255.0
    lo, hi = LOSSY_BLACK * scale, LOSSY_WHITE * scale
    return np.clip((gray.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0)


class GrayVideo:
    """Random access to the luma of a mask video, cheapest when read in order.

    Attributes:
        path: the video file.
        frame_count: number of frames (counted from the packets, so exact).
        size: ``(width, height)``.
        fps: the stream's average frame rate.
        lossless: whether the codec keeps values exactly.
        metadata: the JSON vfx stored in the container tags, or ``{}``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with av.open(str(self.path)) as container:
                if not container.streams.video:
                    raise VfxError(f"{self.path} has no video stream; pass a grayscale mask video")
                stream = container.streams.video[0]
                self.size = (stream.codec_context.width, stream.codec_context.height)
                rate = stream.average_rate or stream.guessed_rate
                self.fps = float(rate) if rate else 0.0
                self.lossless = stream.codec_context.name in LOSSLESS_CODECS
                tags = {k.upper(): v for k, v in container.metadata.items()}
                self.metadata = json.loads(tags[METADATA_KEY]) if METADATA_KEY in tags else {}
                self.frame_count = sum(1 for p in container.demux(stream) if p.size > 0)
        except (av.error.FFmpegError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VfxError(
                f"cannot read mask video {self.path} ({exc}); pass a valid video file"
            ) from exc
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._next = 0
        self._last: tuple[int, np.ndarray] | None = None

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W]`` uint8 luma."""
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        if self._frames is None or index < self._next:
            self.close()
            self._container = av.open(str(self.path))
            stream = self._container.streams.video[0]
            stream.thread_type = "AUTO"
            self._frames = self._container.decode(stream)
            self._next = 0
        frame = None
        while self._next <= index:
            frame = next(self._frames)
            self._next += 1
        assert frame is not None
        gray = frame.to_ndarray(format="gray")
        self._last = (index, gray)
        return gray

    def close(self) -> None:
        """Release the decoder; a later :meth:`read` reopens the file."""
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None
