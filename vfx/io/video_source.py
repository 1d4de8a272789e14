"""What every frame source gives the rest of vfx: metadata, and frames in display order.

A :class:`VideoReader` hides where frames come from (a video file, a folder of
images, an array in memory). All of them yield upright RGB uint8 frames with
their presentation time, and all of them support random access by frame index.
"""

from __future__ import annotations

import abc
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vfx.io.stream_details import AudioInfo


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a frame source, as vfx will deliver its frames.

    Attributes:
        width: displayed width in pixels (after the rotation is applied).
        height: displayed height in pixels (after the rotation is applied).
        fps: average frame rate; for variable frame rate video use the per-frame times.
        frame_count: number of frames the source delivers.
        duration: seconds from the first frame's start to the last frame's end.
        rotation: display rotation in degrees counter-clockwise (0, 90, 180, 270),
            already applied to the frames and to ``width``/``height``.
        codec: decoder name (``"h264"``, ``"png"``, ``"raw"`` for arrays).
        pix_fmt: pixel format of the decoded source before conversion to RGB.
        has_audio: whether the source has an audio stream.
        path: the source file or folder; ``None`` for in-memory frames.
        has_alpha: whether the stored frames carry transparency (``pix_fmt`` has an
            alpha plane); frames are still delivered as RGB.
        audio: the first audio stream's codec, channels and rate, or ``None``.
    """

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    rotation: int
    codec: str
    pix_fmt: str
    has_audio: bool
    path: Path | None
    has_alpha: bool = False
    audio: AudioInfo | None = None


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        index: position in display order, starting at 0.
        time: presentation time in seconds, relative to the first frame.
        rgb: ``[H, W, 3]`` uint8 upright frame.
    """

    index: int
    time: float
    rgb: np.ndarray


class VideoReader(AbstractContextManager["VideoReader"], abc.ABC):
    """Streams frames of one source; iterate it, slice it with :meth:`frames`, or :meth:`read`.

    Sequential access is the fast path: iteration and consecutive :meth:`read`
    calls decode each frame once, while a :meth:`read` out of order seeks.
    Iterations are independent of each other and of :meth:`read`.
    """

    def __init__(self, info: VideoInfo) -> None:
        self.info = info
        self._cursor: Iterator[Frame] | None = None
        self._cursor_next = -1

    @abc.abstractmethod
    def _generate(self, start: int, stop: int) -> Iterator[Frame]:
        """Yield frames ``start <= index < stop`` in order (bounds already checked)."""

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        """Yield frames with ``start <= index < stop`` (``stop=None``: to the end)."""
        count = self.info.frame_count
        stop = count if stop is None else min(stop, count)
        if not 0 <= start <= count:
            raise IndexError(f"start frame {start} is outside 0..{count}")
        return self._generate(start, stop)

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    @property
    def frame_times(self) -> np.ndarray:
        """``[frame_count]`` presentation times in seconds from the first frame."""
        return np.arange(self.info.frame_count) / self.info.fps

    def __len__(self) -> int:
        return self.info.frame_count

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W, 3]`` uint8; sequential reads decode each frame once."""
        if not 0 <= index < self.info.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.info.frame_count - 1}")
        if self._cursor is None or index != self._cursor_next:
            self._close_cursor()
            self._cursor = self.frames(index)
        frame = next(self._cursor, None)
        if frame is None:
            raise IndexError(f"frame {index} could not be decoded from {self.info.path}")
        self._cursor_next = frame.index + 1
        return frame.rgb

    def close(self) -> None:
        """Release the file handle held for :meth:`read`; iterators close when exhausted."""
        self._close_cursor()

    def _close_cursor(self) -> None:
        if isinstance(self._cursor, Generator):
            self._cursor.close()
        self._cursor = None

    def __exit__(self, *exc: object) -> None:
        self.close()
