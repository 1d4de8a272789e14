"""Feeding SAM 2 one segment of a video (``--start``/``--end``) with frame indices from 0.

Tracking that only runs forward from the segment's first frame streams the
segment (bounded memory); prompts after the first frame also need a backward
pass, which reads frames back, so the segment is then decoded into a list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from vfx.frame_range import FrameRange
from vfx.io.video_source import VideoInfo
from vfx.prompts.model import ObjectPrompts


def shift_prompts(prompts: list[ObjectPrompts], offset: int) -> list[ObjectPrompts]:
    """Copies of ``prompts`` with every frame number moved by ``offset``."""
    return [
        replace(obj, prompts=[replace(p, frame=p.frame + offset) for p in obj.prompts])
        for obj in prompts
    ]


def _stream(info: VideoInfo, frames: FrameRange) -> Iterator[np.ndarray]:
    from vfx.io.reader import open_video

    assert info.path is not None  # tracking reads a file (checked by TrackingOptions.masklets)
    with open_video(info.path) as reader:
        for frame in reader.frames(frames.start, frames.stop):
            yield frame.rgb  # [H, W, 3] uint8


def segment_video(
    info: VideoInfo, frames: FrameRange, prompts: list[ObjectPrompts]
) -> Iterator[np.ndarray] | list[np.ndarray]:
    """The segment's frames (``[H, W, 3]`` uint8) for ``predictor.init_state``: streamed when
    every prompt is on its first frame, else a list (the backward pass reads frames back)."""
    first = min(p.frame for obj in prompts for p in obj.prompts)
    if first == frames.start:
        return _stream(info, frames)
    return list(_stream(info, frames))
