"""Open any frame source vfx accepts: a video file, a frame folder, or frames in memory.

>>> with open_video("clip.mp4") as video:          # doctest: +SKIP
...     print(video.info.width, video.info.frame_count)
...     for frame in video:                          # Frame(index, time, rgb [H, W, 3] uint8)
...         ...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vfx.errors import VfxError
from vfx.io.frame_array import FrameArrayReader
from vfx.io.frame_folder import FrameFolderReader
from vfx.io.pyav_reader import PyAVReader
from vfx.io.video_source import Frame, VideoInfo, VideoReader

__all__ = ["Frame", "VideoInfo", "VideoReader", "open_video"]

DEFAULT_FPS = 30.0


def open_video(
    source: str | Path | np.ndarray | Sequence[np.ndarray], fps: float | None = None
) -> VideoReader:
    """Open ``source`` for reading upright RGB uint8 frames.

    Args:
        source: a video file PyAV reads; a folder of numbered JPEG/PNG frames; a
            ``[T, H, W, 3]`` uint8 array; or a list of ``[H, W, 3]`` uint8 arrays.
        fps: frame rate of a folder or array source (default 30). A video file
            keeps its own timing; passing ``fps`` for one is an error.

    Raises:
        VfxError: the source is missing, empty, unreadable or has no video stream.
    """
    if fps is not None and fps <= 0:
        raise VfxError(f"fps must be positive, got {fps}; pass e.g. fps=30")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return FrameFolderReader(path, DEFAULT_FPS if fps is None else fps)
        if fps is not None:
            raise VfxError(
                f"fps={fps} was given for the video file {path}; a file keeps its own timing"
            )
        return PyAVReader(path)
    return FrameArrayReader(source, DEFAULT_FPS if fps is None else fps)
