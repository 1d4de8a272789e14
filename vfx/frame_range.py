"""A segment of a video chosen by ``--start``/``--end``, in frames or seconds.

``12`` is frame 12; ``2.5s`` is 2.5 seconds; ``1:02.5`` is one minute 2.5 seconds.
``--end`` is exclusive, like a Python slice: ``--start 0 --end 48`` is 48 frames,
``--start 1s --end 3s`` at 24 fps is frames 24..71. A time maps to the first frame
shown at or after it (per-frame times, so variable frame rate is exact).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vfx.errors import VfxError
from vfx.io.video_source import VideoReader

_SECONDS = re.compile(r"^(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)s?$")
_FRAMES = re.compile(r"^\d+$")
_FORMS = "a frame number (48), seconds (2.5s) or minutes:seconds (1:02.5)"


@dataclass(frozen=True)
class FrameRange:
    """Frames ``start <= index < stop`` of a video of ``total`` frames."""

    start: int
    stop: int
    total: int

    @property
    def count(self) -> int:
        """Frames in the range."""
        return self.stop - self.start

    @property
    def whole(self) -> bool:
        """Whether the range is the whole video."""
        return self.start == 0 and self.stop == self.total

    def as_list(self) -> list[int]:
        """``[start, stop]``, as stores and sidecars record it."""
        return [self.start, self.stop]


def _to_frame(text: str, option: str, times: Sequence[float] | np.ndarray, fps: float) -> int:
    value = str(text).strip().lower()
    if _FRAMES.match(value):
        return int(value)
    match = _SECONDS.match(value)
    if not match or (":" not in value and not value.endswith("s")):
        raise VfxError(f"{option} {text!r} is not {_FORMS}")
    seconds = float(match.group(2)) + 60.0 * float(match.group(1) or 0)
    if not fps > 0:
        raise VfxError(f"{option} {text}: no frame rate is known here; give a frame number")
    if len(times):
        # first frame at or after the time (half a frame of tolerance for rounding)
        return int(np.searchsorted(np.asarray(times), seconds - 0.5 / fps, side="left"))
    return round(seconds * fps)


def resolve_range(
    start: str | int | None,
    end: str | int | None,
    frame_count: int,
    fps: float,
    times: Sequence[float] | np.ndarray = (),
) -> FrameRange:
    """The frames that ``--start``/``--end`` select in a video of ``frame_count`` frames.

    Args:
        start, end: as typed (see the module docstring); ``None`` = the video's start / end.
        frame_count, fps: the video's.
        times: per-frame presentation times in seconds (``[frame_count]``), when known.

    Raises:
        VfxError: a value that is not a frame or time, outside the video, or an empty range.
    """
    first = 0 if start is None else _to_frame(str(start), "--start", times, fps)
    stop = frame_count if end is None else _to_frame(str(end), "--end", times, fps)
    if first >= frame_count:
        raise VfxError(
            f"--start {start} is at or past the end of this {frame_count}-frame video "
            f"({frame_count / fps:.2f} s); use a smaller --start"
        )
    if stop > frame_count:
        if end is not None and _FRAMES.match(str(end).strip()):
            raise VfxError(
                f"--end {end} is past the end of this {frame_count}-frame video; "
                f"use --end {frame_count} or leave it out"
            )
        stop = frame_count  # a time past the end means "to the end"
    if stop <= first:
        raise VfxError(f"--end {end} must come after --start {start}; the range is empty")
    return FrameRange(first, stop, frame_count)


def reader_range(reader: VideoReader, start: str | int | None, end: str | int | None) -> FrameRange:
    """:func:`resolve_range` against an open video (its frame count, fps and frame times)."""
    info = reader.info
    return resolve_range(start, end, info.frame_count, info.fps, reader.frame_times)
