"""Temporal smoothing: chatter removed, steps kept, streaming equals batch, settings checked."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from vfx.demo.synthetic import scene_frames
from vfx.errors import VfxError
from vfx.masks import SmoothSettings, TemporalSmoother, metrics, smooth, temporal_smoothing
from vfx.masks.optical_flow import Correspondence, FlowEstimator, smoothed_grey
from vfx.masks.synthetic_masklets import degrade, mover_clip
from vfx.masks.temporal_smoothing import dependence_reach
from vfx.masks.window_rules import combine, hysteresis

HEIGHT, WIDTH = 48, 64


def disc_sequence(frames: int, speed: float = 0.0, radius: float = 10.0) -> np.ndarray:
    """``[T, H, W]`` float32 soft discs moving right by ``speed`` px per frame."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    out = np.empty((frames, HEIGHT, WIDTH), np.float32)
    for t in range(frames):
        distance = np.hypot(xx - 20 - speed * t, yy - 24)
        out[t] = np.clip(radius + 0.5 - distance, 0, 1)
    return out


@pytest.mark.parametrize("mode", ["median", "trimmed", "mean"])
def test_a_vanishing_object_vanishes_within_the_window(mode: str) -> None:
    probs = disc_sequence(16)
    probs[8:] = 0.0  # the object really leaves at frame 8
    out = smooth(probs, window=5, mode=mode)
    assert out[8 + 2 :].max() == 0.0
    assert out[: 8 - 2].min(axis=0).max() > 0.9  # still there before


def test_single_frame_dropout_and_blob_are_outvoted() -> None:
    probs = disc_sequence(12)
    clean = probs.copy()
    probs[5] = 0.0  # dropout
    probs[7, 40:46, 50:56] = 1.0  # spurious blob, one frame
    out = smooth(probs)
    assert metrics.frame_j(out[5], clean[5]) > 0.97
    assert out[7, 40:46, 50:56].max() == 0.0
    assert metrics.region_j(out, clean).min() > 0.97


def textured_moving_disc(frames: int, speed: float, radius: float):
    """``[T, H, W, 3]`` frames of a bright textured disc gliding over a dark ground, and masks."""
    rng = np.random.default_rng(5)
    height, width = 64, 128
    background = rng.integers(0, 120, (height // 16, width // 16, 3)).astype(np.uint8)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_CUBIC)
    texture = rng.integers(140, 256, (height // 4, 2 * width // 4, 3)).astype(np.uint8)
    texture = cv2.resize(texture, (2 * width, height), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.empty((frames, height, width, 3), np.uint8)
    masks = np.empty((frames, height, width), np.float32)
    for t in range(frames):
        cx = 20 + speed * t
        masks[t] = np.clip(radius + 0.5 - np.hypot(xx - cx, yy - 32), 0, 1)
        shifted = texture[:, width - round(cx) + 20 : 2 * width - round(cx) + 20]
        blend = masks[t][..., None]
        rgb[t] = (background * (1 - blend) + shifted * blend).astype(np.uint8)
    return rgb, masks


def test_motion_compensation_keeps_a_small_fast_object() -> None:
    # 8 px per frame against a 7 px radius: without alignment most pixels are
    # covered in only 2 of 5 frames, and the window votes the object away.
    frames, truth = textured_moving_disc(10, speed=8.0, radius=7.0)
    aligned = smooth(truth, frames)
    unaligned = smooth(truth)
    assert metrics.region_j(aligned[2:-2], truth[2:-2]).mean() > 0.9
    assert metrics.region_j(unaligned[2:-2], truth[2:-2]).mean() < 0.6


def test_object_is_not_dragged_over_an_occluder() -> None:
    frames, truth = textured_moving_disc(12, speed=6.0, radius=12.0)
    frames[:, :, 56:64] = 250  # a static white post in front of the passing disc
    truth[:, :, 56:64] = 0.0
    out = smooth(truth, frames)
    assert out[:, 20:44, 58:62].mean() < 0.05
    assert metrics.region_j(out, truth).min() > 0.85
    assert metrics.region_j(out, truth).mean() > 0.95


def test_streaming_equals_batch_with_frames_and_several_objects() -> None:
    scene = list(scene_frames(80, 60, 9, objects=2, background=None, seed=2))
    frames = np.stack([s.rgb for s in scene])
    masks = np.stack([s.masks for s in scene]).astype(np.float32)  # [T, N, H, W]
    rng = np.random.default_rng(0)
    noisy = np.clip(masks + 0.3 * rng.standard_normal(masks.shape).astype(np.float32), 0, 1)
    batch = smooth(noisy, frames, window=5)  # [T, N, H, W], the objects jointly
    single = smooth(noisy[:, 0], frames, window=5)
    smoother = TemporalSmoother({"window": 5})
    assert smoother.lookahead == 2
    streamed = []
    for t in range(len(frames)):
        ready = smoother.push(noisy[t], frames[t])
        # The first frames' windows slide forward: frame 0 waits for frame 4, then one per push.
        assert len(streamed) + len(ready) == (0 if t < 4 else t - 1)
        streamed.extend(ready)
    streamed.extend(smoother.flush())
    np.testing.assert_array_equal(np.stack(streamed), batch)
    # The smoother is reusable after flush.
    again = [a for t in range(len(frames)) for a in smoother.push(noisy[t, 0], frames[t])]
    again.extend(smoother.flush())
    np.testing.assert_array_equal(np.stack(again), single)


def test_deferred_jobs_run_later_in_parallel_and_out_of_order_equal_push() -> None:
    """push_later's functions may run after the smoother has moved on, on other threads, in
    any order; each gives exactly push's result (a pipeline smooths frames in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    scene = list(scene_frames(96, 64, 12, objects=2, background=None, seed=5))
    frames = np.stack([s.rgb for s in scene])
    masks = np.stack([s.masks for s in scene]).astype(np.float32)  # [T, N, H, W]
    rng = np.random.default_rng(3)
    noisy = np.clip(masks + 0.3 * rng.standard_normal(masks.shape).astype(np.float32), 0, 1)
    expected = smooth(noisy, frames, window=5)
    smoother = TemporalSmoother({"window": 5})
    jobs = [job for t in range(len(frames)) for job in smoother.push_later(noisy[t], frames[t])]
    jobs.extend(smoother.flush_later())
    assert len(jobs) == len(frames)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(job) for job in reversed(jobs)]  # the last frames first
        results = [future.result() for future in reversed(futures)]
    np.testing.assert_array_equal(np.stack(results), expected)


def test_window_one_only_applies_hysteresis() -> None:
    probs = disc_sequence(3)
    probs[1, 0:4, 0:4] = 0.3  # faint blob, never reaches high
    out = smooth(probs, window=1, low=0.1, high=0.5)
    assert out[1, 0:4, 0:4].max() == 0.0
    np.testing.assert_array_equal(out[0], np.where(probs[0] >= 0.1, probs[0], 0.0))


def test_hysteresis_keeps_soft_regions_attached_to_a_core() -> None:
    alpha = np.zeros((10, 20), np.float32)
    alpha[2:8, 2:6] = 0.9
    alpha[2:8, 6:8] = 0.3  # soft edge touching the core
    alpha[2:8, 14:18] = 0.4  # faint separate blob
    alpha[0, 0] = 0.05  # below low
    out = hysteresis(alpha.copy(), 0.1, 0.5)
    np.testing.assert_array_equal(out[2:8, 2:8], alpha[2:8, 2:8])
    assert out[2:8, 14:18].max() == 0.0
    assert out[0, 0] == 0.0


def test_combine_rules_on_hand_values() -> None:
    values = [np.array([v], np.float32) for v in (0.0, 1.0, 0.2, 0.9, 0.5)]
    offsets = [0, -2, -1, 1, 2]
    assert combine(values, offsets, "median")[0] == pytest.approx(0.5)
    assert combine(values, offsets, "trimmed")[0] == pytest.approx((0.2 + 0.5 + 0.9) / 3)
    # Binomial weights 1 4 6 4 1 for offsets -2..2.
    expected = (1 * 1.0 + 4 * 0.2 + 6 * 0.0 + 4 * 0.9 + 1 * 0.5) / 16
    assert combine(values, offsets, "mean")[0] == pytest.approx(expected)
    assert combine(values[:2], offsets[:2], "median")[0] == pytest.approx(0.5)


def test_settings_are_validated_with_helpful_messages() -> None:
    assert SmoothSettings.from_dict(None) == SmoothSettings()
    assert SmoothSettings.from_dict({"window": 7}).window == 7
    with pytest.raises(VfxError, match=r"unknown smooth setting windw; allowed: window, mode"):
        SmoothSettings.from_dict({"windw": 5})
    with pytest.raises(VfxError, match="odd"):
        SmoothSettings.from_dict({"window": 4})
    with pytest.raises(VfxError, match="mode 'blur' is unknown; allowed: median, trimmed, mean"):
        SmoothSettings.from_dict({"mode": "blur"})
    with pytest.raises(VfxError, match="must be of type int"):
        SmoothSettings.from_dict({"window": "5"})
    with pytest.raises(VfxError, match="low <= high"):
        SmoothSettings.from_dict({"low": 0.8, "high": 0.5})
    with pytest.raises(VfxError, match="motion_model 'rigid' is unknown; allowed: object, dense"):
        SmoothSettings.from_dict({"motion_model": "rigid"})
    with pytest.raises(VfxError, match="unknown smooth setting"):
        smooth(disc_sequence(2), radius=3)


def test_shape_mistakes_are_reported() -> None:
    smoother = TemporalSmoother()
    smoother.push(np.zeros((4, 5), np.float32))
    with pytest.raises(VfxError, match="changed shape"):
        smoother.push(np.zeros((4, 6), np.float32))
    with pytest.raises(VfxError, match=r"\[T, N, H, W\]"):
        smooth(np.zeros((4, 5), np.float32))
    with pytest.raises(VfxError, match="frames for"):
        smooth(np.zeros((3, 4, 5), np.float32), np.zeros((2, 4, 5, 3), np.uint8))


def test_wide_masks_are_smoothed_at_the_working_width_and_scaled_back() -> None:
    frames, truth = textured_moving_disc(10, speed=6.0, radius=12.0)  # 128 px wide
    reduced = smooth(truth, frames, work_width=64)  # smoothed at half size
    full = smooth(truth, frames, work_width=0)
    assert reduced.shape == truth.shape
    assert metrics.region_j(reduced, full).min() > 0.95
    assert metrics.region_j(reduced[2:-2], truth[2:-2]).min() > 0.9
    assert not np.any((reduced > 0) & (reduced < 0.1))  # nothing kept below low
    assert not np.array_equal(reduced, full)
    smoother = TemporalSmoother({"work_width": 64})
    streamed = [a for t in range(len(frames)) for a in smoother.push(truth[t], frames[t])]
    streamed.extend(smoother.flush())
    np.testing.assert_array_equal(np.stack(streamed), reduced)
    with pytest.raises(VfxError, match="work_width must be 0"):
        SmoothSettings.from_dict({"work_width": 8})


def test_a_frame_depends_only_on_frames_within_the_dependence_reach() -> None:
    scene = list(scene_frames(80, 60, 12, objects=2, background=None, seed=2))
    frames = np.stack([s.rgb for s in scene])
    masks = np.stack([s.masks for s in scene]).astype(np.float32)  # [T, N, H, W]
    masks[[0, 6, 11], 0] = 0.0  # dropouts, first and last frames included
    whole = smooth(masks, frames)
    reach = dependence_reach(SmoothSettings())
    assert reach == 4  # the window slides at the ends: frame 0 reads frames 1..4
    for t in (0, 1, 6, 10, 11):
        start, stop = max(0, t - reach), min(len(masks), t + reach + 1)
        part = smooth(masks[start:stop], frames[start:stop])
        np.testing.assert_array_equal(part[t - start], whole[t])


def test_flow_estimated_around_the_objects_matches_the_whole_frame_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A square partly hidden by others that pass in front of it, in a wide textured
    # frame: the flow is estimated on a band of rows around it. With too small a margin
    # the last frame (whose window reaches 4 frames back) lost 14 points of J.
    frames, truth = mover_clip(640, 360, 10, seed=3)
    raw = degrade(truth[3], seed=1)
    crops: list[tuple[int, int, int, int] | None] = []
    original = FlowEstimator.pair

    def spy(self: FlowEstimator, *args: Any) -> tuple[Correspondence, Correspondence]:
        crops.append(args[3])
        return original(self, *args)

    monkeypatch.setattr(FlowEstimator, "pair", spy)
    cropped = smooth(raw, frames)
    assert sum(c is not None for c in crops) >= 5
    monkeypatch.setattr(temporal_smoothing, "FLOW_CROP_SHARE", 0.0)
    crops.clear()
    whole = smooth(raw, frames)
    assert crops and all(c is None for c in crops)
    # DIS on a crop differs from DIS on the whole frame by slivers of the outline.
    flips = np.count_nonzero((cropped >= 0.5) != (whole >= 0.5))
    assert flips <= 0.002 * np.count_nonzero(whole >= 0.5)
    j_crop = metrics.region_j(cropped, truth[3])
    j_whole = metrics.region_j(whole, truth[3])
    assert np.abs(j_crop - j_whole).max() < 0.005


def test_flow_on_a_crop_is_zero_and_invalid_outside_it() -> None:
    rng = np.random.default_rng(0)
    first = cv2.GaussianBlur(rng.integers(0, 255, (60, 80), dtype=np.uint8), (5, 5), 1.5)
    second = np.roll(first, 2, axis=1)  # everything moves 2 px right
    forward, backward = FlowEstimator().pair(first, second, True, (10, 50, 20, 60))
    outside = np.ones((60, 80), bool)
    outside[10:50, 20:60] = False
    for corr in (forward, backward):
        assert not corr.field[outside].any()
    inner = forward.field[20:40, 30:50]
    assert inner[..., 2].all()
    assert np.abs(inner[..., 0] - 2).max() < 0.5
    # A pixel at the crop's right edge is sent outside it: not a valid match.
    assert not forward.valid[10:50, 59].any()


def test_chains_and_appearance_checks_on_a_part_of_the_grid_equal_the_whole_grid_exactly() -> None:
    # Flows estimated on two different bands; a chain and an appearance check may work
    # on the union of the bands only, but must give exactly what the whole grid gives.
    rng = np.random.default_rng(3)
    frames = [cv2.GaussianBlur(rng.integers(0, 255, (60, 80), dtype=np.uint8), (5, 5), 1.5)]
    frames += [np.roll(frames[0], 2 * k, axis=1) for k in (1, 2)]
    estimator = FlowEstimator()
    first, _ = estimator.pair(frames[0], frames[1], True, (5, 35, 0, 80))
    then, _ = estimator.pair(frames[1], frames[2], True, (20, 55, 0, 80))
    assert first.extent == (5, 35, 0, 80) and then.extent == (20, 55, 0, 80)
    chained = estimator.chain(first, then)
    anywhere = estimator.chain(Correspondence(first.field), Correspondence(then.field))
    assert chained.extent == (5, 55, 0, 80) and anywhere.extent is None
    np.testing.assert_array_equal(chained.field, anywhere.field)
    assert chained.valid[22:33, 10:60].all()  # a real two-hop flow where both bands are
    here, there = (smoothed_grey(frame) for frame in (frames[0], frames[2]))
    checked = estimator.appearance_check(chained, here, there, 4.0)
    np.testing.assert_array_equal(
        checked.field, estimator.appearance_check(anywhere, here, there, 4.0).field
    )
    assert checked.extent == chained.extent
