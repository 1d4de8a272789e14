"""Lossless video files for masks and conformed source frames, written with PyAV.

The general writer (``vfx.io.writer``) goes through moviepy's ffmpeg pipe, which
always compresses; mask videos need the exact frame count and bit-exact values,
so they are encoded here directly, one frame at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from vfx.io.frame_rate import exact_rate
from vfx.mask_formats.mask_video import METADATA_KEY

# (codec, gray) -> (encoder, pixel format)
_ENCODERS = {
    ("ffv1", True): ("ffv1", "gray"),
    ("h264", True): ("libx264", "yuv420p"),
    ("h264", False): ("libx264rgb", "rgb24"),
}


class LosslessVideoWriter:
    """Write frames losslessly, one :meth:`write` at a time; use as a context manager.

    Args:
        path: output file (``.mkv`` for FFV1, ``.mp4`` for H.264).
        size: ``(width, height)``.
        fps: frame rate, stored as the exact rational :func:`exact_rate` gives.
        codec: ``"ffv1"`` (gray masks, bit-exact) or ``"h264"`` for tools that
            read ``.mp4``: lossless (``qp 0``) H.264, in RGB for colour frames
            (bit-exact) and in yuv420p for masks (black and white exact; other
            levels within 1).
        gray: frames are ``[H, W]`` uint8 masks, else ``[H, W, 3]`` uint8 RGB (h264 only).
        description: JSON stored in the container tag ``VFX_MASKS`` (kept by Matroska).
    """

    def __init__(
        self,
        path: Path,
        *,
        size: tuple[int, int],
        fps: float,
        codec: str = "ffv1",
        gray: bool = True,
        description: dict | None = None,
    ) -> None:
        self._container = av.open(str(path), "w")
        if description is not None:
            self._container.metadata[METADATA_KEY] = json.dumps(description)
        encoder, pix_fmt = _ENCODERS[(codec, gray)]
        self._stream = self._container.add_stream(encoder, rate=exact_rate(fps))
        self._stream.width, self._stream.height = size
        self._stream.pix_fmt = pix_fmt
        if encoder != "ffv1":
            self._stream.options = {"qp": "0", "preset": "veryfast"}
        self._format = "gray" if gray else "rgb24"
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        """Encode one ``[H, W]`` (gray) or ``[H, W, 3]`` (RGB) uint8 frame."""
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=self._format)
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        self._container.mux(self._stream.encode())
        self._container.close()

    def __enter__(self) -> LosslessVideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._container.close()
