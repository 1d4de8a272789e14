"""Conform plans: 4n+1 frames, sides divisible by 16, fps resampling."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.mask_formats import Conform
from vfx.mask_formats.conform import conformed_frames


@pytest.mark.parametrize(
    ("count", "mode", "expected"),
    [
        (1, "pad", 1),
        (2, "pad", 5),
        (5, "pad", 5),
        (24, "pad", 25),
        (24, "trim", 21),
        (3, "trim", 1),
        (24, "none", 24),
    ],
)
def test_frame_counts_are_4n_plus_1(count: int, mode: str, expected: int) -> None:
    plan = Conform(frames=mode, sides="none").plan(count, 64, 48, 24.0)
    assert plan.frame_count == expected
    if mode != "none":
        assert (plan.frame_count - 1) % 4 == 0
    assert plan.source_indices[: min(count, expected)] == list(range(min(count, expected)))
    assert all(i == count - 1 for i in plan.source_indices[count:])


@pytest.mark.parametrize(
    ("size", "mode", "expected"),
    [
        ((1920, 1080), "pad", (1920, 1088)),
        ((1920, 1080), "resize", (1920, 1088)),
        ((854, 480), "resize", (848, 480)),
        ((854, 480), "pad", (864, 480)),
        ((7, 5), "resize", (16, 16)),
    ],
)
def test_sides_divisible_by_16(size: tuple[int, int], mode: str, expected: tuple[int, int]) -> None:
    plan = Conform(frames="none", sides=mode).plan(3, *size, 30.0)
    assert plan.size == expected
    image = np.full((size[1], size[0]), 255, np.uint8)
    out = plan.image(image, mask=True)
    assert out.shape == (expected[1], expected[0])
    if mode == "pad":
        assert out[: size[1], : size[0]].min() == 255 and out[size[1] :].max(initial=0) == 0


def test_fps_resampling_picks_nearest_frames() -> None:
    plan = Conform(frames="pad", sides="none", fps=16).plan(30, 32, 32, 30000 / 1001)
    assert plan.resampled_frame_count == 16  # 30 frames at 29.97 fps last ~1.0 s
    assert plan.frame_count == 17 and plan.fps == 16
    assert (
        plan.source_indices[:4] == [0, 2, 4, 6]
        and plan.source_indices[-1] == plan.source_indices[-2]
    )
    described = plan.describe()
    assert described["padded_frames"] == 1 and described["source_size"] == [32, 32]


def test_conformed_frames_repeat_and_skip() -> None:
    class Item:
        def __init__(self, index: int) -> None:
            self.index = index

    plan = Conform(frames="pad", sides="none", fps=12).plan(6, 16, 16, 24.0)  # 3 frames -> pad to 5
    got = [item.index for item in conformed_frames((Item(i) for i in range(6)), plan)]
    assert got == plan.source_indices == [0, 2, 4, 4, 4]


def test_bad_conform_options() -> None:
    with pytest.raises(VfxError, match="unknown --frames 'double'"):
        Conform(frames="double")
    with pytest.raises(VfxError, match=r"--fps must be between 0\.01 and 1000, got 0"):
        Conform(fps=0)
    with pytest.raises(VfxError, match="no frame rate to resample"):
        Conform(fps=16).plan(10, 16, 16, None)
