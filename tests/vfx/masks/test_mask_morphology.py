"""Grow, shrink, feather, hole filling and island removal on soft masks."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.masks import feather_mask, fill_holes, grow_mask, remove_islands, shrink_mask
from vfx.masks.morphology import alpha_box, support_box


def square(size: int = 64, lo: int = 20, hi: int = 40) -> np.ndarray:
    mask = np.zeros((size, size), np.float32)
    mask[lo:hi, lo:hi] = 1.0
    return mask


@pytest.mark.parametrize("px", [1, 3, 7, 10])
def test_grow_moves_the_edge_out_by_px(px: int) -> None:
    out = grow_mask(square(), px)
    assert out.dtype == np.float32 and out.shape == (64, 64)
    rows = np.flatnonzero(out[30] > 0.5)
    assert (rows[0], rows[-1]) == (20 - px, 39 + px)
    # A disc, not a square: the corners are rounded.
    assert out[20 - px, 20 - px] == 0.0


@pytest.mark.parametrize("px", [1, 3, 6])
def test_shrink_moves_the_edge_in_and_negative_grow_shrinks(px: int) -> None:
    out = shrink_mask(square(), px)
    rows = np.flatnonzero(out[30] > 0.5)
    assert (rows[0], rows[-1]) == (20 + px, 39 - px)
    np.testing.assert_array_equal(grow_mask(square(), -px), out)
    np.testing.assert_array_equal(shrink_mask(square(), -px), grow_mask(square(), px))


def test_zero_px_and_inputs_are_left_alone() -> None:
    mask = square()
    before = mask.copy()
    for op in (grow_mask, shrink_mask, feather_mask):
        out = op(mask, 0)
        np.testing.assert_array_equal(out, mask)
        assert out is not mask
        op(mask, 5)
    np.testing.assert_array_equal(mask, before)


@pytest.mark.parametrize("px", [2, 8, 30])
def test_feather_softens_the_edge_and_keeps_the_area(px: int) -> None:
    mask = square(240, 50, 190)
    out = feather_mask(mask, px)
    assert abs(out.sum() - mask.sum()) / mask.sum() < 0.01
    assert out[120, 120] > 0.99 and out[120, 5] < 0.01
    # Half way at the old edge (between pixels 49 and 50), and a ramp about px wide.
    assert out[120, 49] + out[120, 50] == pytest.approx(1.0, abs=0.02)
    assert 0.5 < out[120, 50 + px // 2] < 0.95
    assert out[120, 50 - px] < 0.1


def test_small_holes_are_filled_large_ones_stay() -> None:
    mask = np.zeros((80, 80), np.float32)
    mask[10:70, 10:70] = 1.0
    mask[20:24, 20:24] = 0.0  # 16 px hole
    mask[40:60, 40:60] = 0.0  # 400 px hole
    out = fill_holes(mask, 100)
    assert out[20:24, 20:24].min() == 1.0
    assert out[40:60, 40:60].max() == 0.0
    # Background touching the border is never a hole.
    np.testing.assert_array_equal(out[:10], mask[:10])
    np.testing.assert_array_equal(fill_holes(mask, 0), mask)


def test_small_islands_go_with_their_fringe_large_ones_stay() -> None:
    mask = np.zeros((80, 80), np.float32)
    mask[10:40, 10:40] = 1.0  # 900 px
    mask[60:64, 60:64] = 1.0  # 16 px island
    mask[59, 60:64] = 0.3  # its soft fringe
    out = remove_islands(mask, 50)
    assert out[58:66, 58:66].max() == 0.0
    np.testing.assert_array_equal(out[10:40, 10:40], mask[10:40, 10:40])
    np.testing.assert_array_equal(remove_islands(mask, 0), mask)


def test_alpha_box_matches_the_box_of_the_thresholded_mask() -> None:
    alpha = np.zeros((30, 40), np.float32)
    assert alpha_box(alpha, 0.0) is None
    alpha[5, 7] = 0.3
    alpha[20, 31] = 0.05
    assert alpha_box(alpha, 0.0, margin=2) == support_box(alpha > 0, margin=2) == (3, 23, 5, 34)
    assert alpha_box(alpha, 0.1) == (5, 6, 7, 8)
