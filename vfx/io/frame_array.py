"""Frames already in memory (an array or a list of arrays) behind the reader interface."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from vfx.errors import VfxError
from vfx.io.video_source import Frame, VideoInfo, VideoReader


class FrameArrayReader(VideoReader):
    """Frames from a ``[T, H, W, 3]`` uint8 array or a list of ``[H, W, 3]`` uint8 arrays.

    The frames are not copied; ``fps`` sets their times (default 30).
    """

    def __init__(self, frames: np.ndarray | Sequence[np.ndarray], fps: float = 30.0) -> None:
        if len(frames) == 0:
            raise VfxError("the frame list is empty; pass at least one [H, W, 3] uint8 frame")
        first = np.asarray(frames[0])
        for index, item in enumerate(frames):
            frame = np.asarray(item)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise VfxError(
                    f"frame {index} has shape {tuple(frame.shape)} and dtype {frame.dtype}; "
                    "pass RGB frames of shape [H, W, 3] and dtype uint8"
                )
            if frame.shape != first.shape:
                raise VfxError(
                    f"frame {index} has shape {tuple(frame.shape)} but frame 0 has {first.shape}; "
                    "make all frames the same size"
                )
        self._frames = frames
        super().__init__(
            VideoInfo(
                width=first.shape[1],
                height=first.shape[0],
                fps=float(fps),
                frame_count=len(frames),
                duration=len(frames) / fps,
                rotation=0,
                codec="raw",
                pix_fmt="rgb24",
                has_audio=False,
                path=None,
            )
        )

    def _generate(self, start: int, stop: int) -> Iterator[Frame]:
        for index in range(start, stop):
            yield Frame(
                index=index, time=index / self.info.fps, rgb=np.asarray(self._frames[index])
            )
