"""Guided filter against a direct computation, and edge-aware refinement."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.masks import guided_filter, refine


def window_mean(image: np.ndarray, y: int, x: int, r: int) -> np.ndarray:
    """Mean of ``image`` over the (2r+1)-square window at (y, x), clipped to the image."""
    return image[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].mean(axis=(0, 1))


def naive_guided(guide: np.ndarray, src: np.ndarray, r: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter, written out pixel by pixel (float64)."""
    guide = guide.astype(np.float64)
    src = src.astype(np.float64)
    colour = guide.ndim == 3
    height, width = src.shape
    channels = guide.shape[2] if colour else 1
    a = np.zeros((height, width, channels))
    b = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            win_i = guide[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].reshape(
                -1, channels
            )
            win_p = src[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].reshape(-1)
            mean_i = win_i.mean(axis=0)
            mean_p = win_p.mean()
            cov_ip = (win_i * win_p[:, None]).mean(axis=0) - mean_i * mean_p
            sigma = (win_i[:, :, None] * win_i[:, None, :]).mean(axis=0) - np.outer(mean_i, mean_i)
            a[y, x] = np.linalg.solve(sigma + eps * np.eye(channels), cov_ip)
            b[y, x] = mean_p - a[y, x] @ mean_i
    out = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            mean_a = window_mean(a, y, x, r)
            mean_b = window_mean(b, y, x, r)
            pixel = guide[y, x] if colour else guide[y, x : x + 1]
            out[y, x] = mean_a @ pixel + mean_b
    return out


@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize(("radius", "eps"), [(1, 1e-2), (2, 1e-3)])
def test_matches_direct_computation(colour: bool, radius: int, eps: float) -> None:
    rng = np.random.default_rng(3)
    shape = (11, 13, 3) if colour else (11, 13)
    guide = rng.random(shape).astype(np.float32)
    src = (rng.random((11, 13)) > 0.5).astype(np.float32)
    expected = naive_guided(guide, src, radius, eps)
    np.testing.assert_allclose(guided_filter(guide, src, radius, eps), expected, atol=2e-4)


def test_subsampled_filter_stays_close_to_the_exact_one() -> None:
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:96, 0:128].astype(np.float32)
    guide = np.dstack([xx / 128, yy / 96, (xx + yy) / 224]) + 0.02 * rng.random((96, 128, 3))
    guide = guide.astype(np.float32)
    src = ((xx - 64) ** 2 + (yy - 48) ** 2 < 30**2).astype(np.float32)
    exact = guided_filter(guide, src, 8, 1e-3)
    fast = guided_filter(guide, src, 8, 1e-3, subsample=4)
    assert np.abs(fast - exact).mean() < 0.02
    assert np.abs(fast - exact).max() < 0.1


def test_guided_refinement_snaps_a_rough_edge_to_the_image_edge() -> None:
    frame = np.full((60, 80, 3), 30, np.uint8)
    frame[:, 40:] = 220  # a strong vertical edge at x = 40
    rough = np.zeros((60, 80), np.float32)
    rough[:, 37:] = 1.0  # the tracker's edge is 3 px off, in the dark part
    out = refine(rough, frame, guided_radius=6, guided_eps=1e-3, guided_subsample=1)
    row = out[30]
    # Full alpha on the bright side, a hard step exactly at the image edge,
    # and the mistaken dark strip 37..39 falls below one half.
    assert row[40:].min() > 0.99
    assert row[40] - row[39] > 0.4
    assert row[37:40].max() < 0.6
    assert row[:20].max() < 0.05
