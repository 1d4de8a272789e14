"""J, boundary F, dtSSD and IoU change on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vfx.masks import metrics


def test_j_is_intersection_over_union() -> None:
    a = np.zeros((4, 4), np.float32)
    b = np.zeros((4, 4), np.float32)
    a[0, :3] = 1.0  # 3 pixels
    b[0, 1:] = 0.8  # 3 pixels, 2 shared
    assert metrics.frame_j(a, b) == pytest.approx(2 / 4)
    assert metrics.frame_j(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    assert metrics.frame_j(a, np.zeros((4, 4))) == 0.0
    np.testing.assert_allclose(metrics.region_j(np.stack([a, a]), np.stack([b, a])), [0.5, 1.0])


def test_boundary_f_counts_matches_within_tolerance() -> None:
    gt = np.zeros((20, 20), bool)
    gt[5:15, 5:15] = True
    shifted = np.zeros((20, 20), bool)
    shifted[5:15, 7:17] = True  # 2 px to the right
    assert metrics.frame_f(gt, gt, tolerance=1) == 1.0
    assert metrics.frame_f(shifted, gt, tolerance=2) == 1.0
    # With 1 px tolerance (a 3x3 cross): 9 of 10 pixels of the top and of the
    # bottom edge, and the two end pixels of one side edge: 20 of 36 each way.
    assert metrics.frame_f(shifted, gt, tolerance=1) == pytest.approx(20 / 36)
    assert metrics.frame_f(np.zeros((20, 20)), gt, tolerance=1) == 0.0
    assert metrics.frame_f(np.zeros((20, 20)), np.zeros((20, 20))) == 1.0
    assert metrics.default_tolerance(480, 640) == math.ceil(0.008 * 800)


def test_dtssd_is_zero_for_static_error_and_counts_flicker() -> None:
    gt = np.zeros((3, 2, 2), np.float32)
    gt[:, 0, 0] = 1.0
    static_error = gt + 0.25
    assert metrics.dtssd(static_error, gt) == pytest.approx([0.0, 0.0])
    flicker = gt.copy()
    flicker[1, 1, 1] = 0.5  # one pixel of four jumps by 0.5, then back
    expected = 100 * math.sqrt(0.25 / 4)
    assert metrics.dtssd(flicker, gt) == pytest.approx([expected, expected])
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.dtssd(flicker, gt[:2])


def test_iou_change_measures_jumps_relative_to_ground_truth() -> None:
    gt = np.zeros((3, 2, 2), np.float32)
    gt[:, 0, :] = 1.0
    pred = gt.copy()
    pred[1, 1, 0] = 1.0  # frame 1 grows from 2 to 3 pixels
    np.testing.assert_allclose(metrics.consecutive_iou(pred), [2 / 3, 2 / 3])
    np.testing.assert_allclose(metrics.iou_change(pred, gt), [1 / 3, 1 / 3])
    summary = metrics.summary(pred, gt, tolerance=1)
    assert summary["J"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert summary["iou_change"] == pytest.approx(1 / 3)


def test_worst_frame_j_and_claims_from_others() -> None:
    gt = np.zeros((3, 2, 4, 4), bool)  # [T, N, H, W]
    gt[:, 0, :2] = True  # object 1: top half
    gt[:, 1, 2:] = True  # object 2: bottom half
    pred = gt.astype(np.float32)
    assert metrics.worst_frame_j(pred, gt) == (1.0, -1, -1)
    assert metrics.claimed_from_others(pred, gt) == 0
    pred[2, 1, 1] = 0.8  # object 2 claims a row of object 1 on frame 2
    j, t, k = metrics.worst_frame_j(pred, gt)
    assert (t, k) == (2, 1) and j == pytest.approx(8 / 12)
    assert metrics.claimed_from_others(pred, gt) == 4
