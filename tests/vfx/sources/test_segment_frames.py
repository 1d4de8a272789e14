"""SAM 2 is fed a --start/--end segment with frame numbers from 0, and the prompts moved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vfx.demo.synthetic import write_scene_video
from vfx.frame_range import FrameRange
from vfx.io.reader import open_video
from vfx.prompts.parsing import parse_prompts
from vfx.sources.segment_frames import segment_video, shift_prompts


def test_segment_frames_and_shifted_prompts(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_scene_video(path, 64, 48, 12, 24, audio=False)
    with open_video(path) as reader:
        info, every = reader.info, [frame.rgb for frame in reader]
    frames = FrameRange(4, 9, 12)
    at_start = parse_prompts(points=["4:10,10", "6:20,20:2"])
    shifted = shift_prompts(at_start, -4)
    assert [[p.frame for p in obj.prompts] for obj in shifted] == [[0], [2]]
    assert [[p.frame for p in obj.prompts] for obj in at_start] == [[4], [6]]  # not modified

    streamed = segment_video(info, frames, parse_prompts(points=["4:10,10"]))
    assert isinstance(streamed, Iterator)  # forward only: streamed, bounded memory
    listed = segment_video(info, frames, parse_prompts(points=["6:10,10"]))
    assert isinstance(listed, list)  # a backward pass reads frames back
    for got in (list(streamed), listed):
        assert len(got) == 5
        for k, rgb in enumerate(got):
            np.testing.assert_array_equal(rgb, every[4 + k])
