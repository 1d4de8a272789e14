"""Exact masks go through temporal smoothing unchanged, at every size and on every frame.

Each case smooths exact, visible-only masks with the default (preset) settings
and asks for IoU >= 0.99 against the exact mask for every object on every
frame, first and last included, and for no pixel of an occluder claimed by the
object behind it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vfx.demo.synthetic import GREEN_SCREEN
from vfx.masks import SmoothSettings, TemporalSmoother, metrics, smooth
from vfx.masks.metrics import claimed_from_others, worst_frame_j
from vfx.masks.synthetic_masklets import big_subject_clip, scene_clip, tiny_clip

MIN_IOU = 0.99


def smooth_stack(masks: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """``[T, N, H, W]`` masks smoothed as the render pipeline does: ``[N, H, W]`` per push."""
    smoother = TemporalSmoother(SmoothSettings.from_dict({"window": 5}))  # as in every preset
    out = []
    for plane, frame in zip(masks.astype(np.float32), frames, strict=True):
        out.extend(smoother.push(plane, frame))
    out.extend(smoother.flush())
    return np.stack(out)


def check_exact(frames: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Smooth ``[T, N, H, W]`` exact masks with their frames and check them; returns the output."""
    out = smooth_stack(exact, frames)
    assert out.shape == exact.shape
    iou, t, k = worst_frame_j(out, exact)
    assert iou >= MIN_IOU, f"object {k + 1} on frame {t}: IoU {iou:.4f} against the exact mask"
    assert claimed_from_others(out, exact) == 0, "an object claims pixels another one shows"
    return out


@pytest.mark.parametrize("background", [None, GREEN_SCREEN], ids=["textured", "green"])
@pytest.mark.parametrize("objects", [2, 3])
def test_overlapping_objects_keep_visible_only_masks(
    background: tuple[int, int, int] | None, objects: int
) -> None:
    # The demo's scene: flat shapes, fast (up to ~40 px/frame), passing in front of each other.
    frames, exact = scene_clip(480, 270, 40, objects, background)
    full = np.stack([exact[:, k] | exact[:, k + 1 :].any(axis=1) for k in range(objects)], axis=1)
    assert np.count_nonzero(full & ~exact) > 0, "the clip must have an occlusion"
    check_exact(frames, exact)


@pytest.mark.parametrize("seed", [0, 2])
def test_fast_flat_object_keeps_its_mask(seed: int) -> None:
    # A flat square on a flat green screen: image flow has nothing to hold on to inside it.
    frames, exact = scene_clip(320, 240, 24, 2, GREEN_SCREEN, seed=seed)
    centres = [np.argwhere(m).mean(axis=0) for m in exact[:, 1]]
    assert max(np.hypot(*(b - a)) for a, b in itertools.pairwise(centres)) >= 15
    check_exact(frames, exact[:, 1:])  # the square on its own


def test_first_and_last_frames_get_the_same_care() -> None:
    frames, exact = scene_clip(480, 270, 40, 2, None)
    out = check_exact(frames[:12], exact[:12])
    for t in (0, 1, 10, 11):
        for k in range(2):
            assert metrics.frame_j(out[t, k], exact[t, k]) >= MIN_IOU, f"frame {t}, object {k + 1}"


def test_subject_covering_most_of_a_720p_frame() -> None:
    frames, exact = big_subject_clip(1280, 720, 6)
    assert exact[0].mean() >= 0.55
    check_exact(frames, exact)


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1080p", "4k"])
def test_large_subjects_at_1080p_and_4k(size: tuple[int, int]) -> None:
    frames, exact = big_subject_clip(*size, 4, step=(10, 4))
    check_exact(frames, exact)


@pytest.mark.parametrize("background", [None, GREEN_SCREEN], ids=["textured", "green"])
def test_16x16_video(background: tuple[int, int, int] | None) -> None:
    frames, exact = scene_clip(16, 16, 12, 2, background)
    check_exact(frames, exact)


@pytest.mark.parametrize("size", [11, 8, 3])
def test_videos_too_small_for_optical_flow(size: int) -> None:
    frames, exact = tiny_clip(size, 7)
    np.testing.assert_array_equal(check_exact(frames, exact) >= 0.5, exact)


@pytest.mark.parametrize("count", [1, 2])
def test_one_and_two_frame_videos(count: int) -> None:
    frames, exact = scene_clip(64, 48, count, 2, None)
    np.testing.assert_array_equal(check_exact(frames, exact) >= 0.5, exact)


def test_dropouts_on_the_first_and_last_frames_are_repaired() -> None:
    # The windows at the ends slide inwards, so frame 0 has as many votes as the middle.
    frames, exact = big_subject_clip(160, 120, 10, share=0.15, step=(5, 2))
    noisy = exact.astype(np.float32)
    noisy[0] = 0.0  # the object drops out on the first frame
    noisy[-1] = 0.0  # and on the last
    noisy[4, 0, :, :80] = 0.0  # and loses its left half on frame 4
    out = smooth_stack(noisy, frames)
    for t in (0, 4, len(exact) - 1):
        assert metrics.frame_j(out[t, 0], exact[t, 0]) > 0.95, f"frame {t}"
    assert worst_frame_j(out, exact)[0] > 0.95


def test_hidden_part_is_not_filled_in_even_when_the_occluded_mask_chatters() -> None:
    frames, exact = scene_clip(480, 270, 40, 2, None)
    noisy = exact.astype(np.float32)
    rng = np.random.default_rng(0)
    for t in rng.choice(len(noisy), 8, replace=False):
        noisy[t, 0] = 0.0  # the circle drops out now and then
    out = smooth_stack(noisy, frames)
    assert claimed_from_others(out, exact) == 0
    # Flat objects give the flow little to hold on to; where a dropout cannot be
    # repaired it stays as it was, and no frame gets worse.
    before = metrics.region_j(noisy[:, 0], exact[:, 0])
    after = metrics.region_j(out[:, 0], exact[:, 0])
    assert np.all(after >= before - 0.005)


def test_without_frames_a_moving_object_is_not_pulled_ahead_at_the_ends() -> None:
    # Nothing verifies unaligned votes, so an overturn needs votes from before and after.
    yy, xx = np.mgrid[0:48, 0:96]
    exact = np.stack([np.hypot(xx - 20 - 4 * t, yy - 24) <= 8 for t in range(10)])[:, None]
    smoother = TemporalSmoother(SmoothSettings())
    out = [a for plane in exact.astype(np.float32) for a in smoother.push(plane)]
    out = np.stack(out + smoother.flush())
    assert worst_frame_j(out, exact)[0] >= MIN_IOU
    still = np.repeat(exact[:1, 0], 10, axis=0).astype(np.float32)  # [T, H, W], not moving
    still[5] = 0.0  # a dropout in the middle is still repaired
    assert metrics.frame_j(smooth(still)[5], exact[0, 0]) > 0.95
