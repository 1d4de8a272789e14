"""blur: kinds, accuracy of the fast large-radius path, flat areas stay flat."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from effects import Blur, EffectContext
from effects.core.kernels import blur


def _checker(size: int = 96) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size]
    board = (((ys // 8) + (xs // 8)) % 2 * 255).astype(np.uint8)
    return np.dstack([board, 255 - board, np.full_like(board, 90)])


@pytest.mark.parametrize("kind", ["gaussian", "box", "lens"])
def test_blur_smooths_and_keeps_flat_colour(kind: str) -> None:
    frame = _checker()
    out = blur(frame, 12, kind)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert out[..., 0].std() < frame[..., 0].std() / 4
    np.testing.assert_array_equal(out[..., 2], 90)  # a flat channel stays flat
    assert abs(out[..., 0].astype(float).mean() - frame[..., 0].mean()) < 3


def test_large_gaussian_matches_the_exact_blur() -> None:
    rng = np.random.default_rng(1)
    frame = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (320, 240))
    fast = blur(frame, 50, "gaussian").astype(np.float32)
    exact = cv2.GaussianBlur(frame, (0, 0), 25, borderType=cv2.BORDER_REFLECT_101).astype(
        np.float32
    )
    inner = (slice(40, -40), slice(40, -40))
    assert np.abs(fast[inner] - exact[inner]).mean() < 1.5
    assert np.abs(fast[inner] - exact[inner]).max() < 8


def test_lens_blur_spreads_a_point_into_a_disc() -> None:
    frame = np.zeros((41, 41, 3), np.uint8)
    frame[20, 20] = 255
    out = blur(frame.astype(np.float32), 5, "lens")
    spot = out[..., 0] > 1e-3
    assert spot[20, 15] and spot[20, 25] and spot[15, 20]
    assert not spot[20, 27] and not spot[14, 14]  # outside the radius-5 disc
    assert out[20, 18, 0] == pytest.approx(
        out[20, 20, 0], rel=1e-4
    )  # flat inside, unlike a Gaussian


def test_radius_zero_is_identity_and_effect_uses_region() -> None:
    frame = _checker(32)
    np.testing.assert_array_equal(blur(frame, 0), frame)
    alpha = np.zeros((32, 32), np.float32)
    out = Blur(radius=0).apply(frame, np.ones_like(alpha), EffectContext(size=(32, 32)))
    np.testing.assert_array_equal(out, frame)


def test_isolated_blur_keeps_the_subject_out_of_the_background() -> None:
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[:, :32] = (255, 0, 0)  # subject (left) is red, background (right) is blue
    frame[:, 32:] = (0, 0, 255)
    background = np.zeros((64, 64), np.float32)
    background[:, 32:] = 1.0
    ctx = EffectContext(size=(64, 64))
    isolated = Blur(radius=16).apply(frame, background, ctx)
    smeared = Blur(radius=16, isolate=False).apply(frame, background, ctx)
    assert isolated[32, 33, 0] <= 2 and isolated[32, 33, 2] >= 250  # no red halo
    assert smeared[32, 33, 0] > 60  # the plain blur drags red across the edge
    np.testing.assert_array_equal(isolated[:, :32], frame[:, :32])
