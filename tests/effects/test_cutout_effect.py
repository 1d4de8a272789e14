"""cutout: RGBA output with straight alpha taken from the region."""

from __future__ import annotations

import numpy as np

from effects import Cutout, EffectContext


def test_cutout_alpha_is_the_region_and_colours_stay() -> None:
    frame = np.full((2, 3, 3), (10, 120, 250), np.uint8)
    alpha = np.array([[0.0, 0.5, 1.0], [1.0, 0.25, 0.0]], np.float32)
    out = Cutout().apply(frame, alpha, EffectContext(size=(3, 2)))
    assert out.shape == (2, 3, 4) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., :3], frame)  # straight alpha: no premultiply
    np.testing.assert_allclose(out[..., 3], alpha * 255, atol=0.5)


def test_inverted_cutout_keeps_the_outside() -> None:
    frame = np.zeros((1, 2, 3), np.uint8)
    alpha = np.array([[0.0, 1.0]], np.float32)
    out = Cutout(invert=True).apply(frame, alpha, EffectContext(size=(2, 1)))
    np.testing.assert_array_equal(out[0, :, 3], [255, 0])
    assert Cutout.makes_alpha
