"""spotlight: the region stays lit, the outside is dimmed and desaturated, softly."""

from __future__ import annotations

import numpy as np

from effects import EffectContext, Spotlight


def _scene() -> tuple[np.ndarray, np.ndarray]:
    frame = np.full((60, 80, 3), (200, 100, 50), np.uint8)
    mask = np.zeros((60, 80), np.float32)
    mask[25:35, 35:45] = 1.0
    return frame, mask


def test_inside_lit_outside_dimmed_with_falloff() -> None:
    frame, mask = _scene()
    out = Spotlight(dim=0.5, desaturate=0.0, falloff=10).apply(
        frame, mask, EffectContext.build({1: mask})
    )
    np.testing.assert_array_equal(out[30, 40], frame[30, 40])
    np.testing.assert_array_equal(out[30, 35], frame[30, 35])  # edge of the region: still fully lit
    np.testing.assert_allclose(out[5, 5], [100, 50, 25], atol=1)  # far away: half brightness
    profile = out[30, 5:35, 0].astype(int)
    assert (np.diff(profile) >= 0).all() and profile[0] < profile[-1]


def test_desaturate_and_hard_edge() -> None:
    frame, mask = _scene()
    out = Spotlight(dim=0.0, desaturate=1.0, falloff=0).apply(
        frame, mask, EffectContext(size=(80, 60))
    )
    assert out[5, 5, 0] == out[5, 5, 1] == out[5, 5, 2]
    np.testing.assert_array_equal(out[25:35, 35:45], frame[25:35, 35:45])
    assert out[30, 34, 0] == out[30, 34, 1]  # right next to the region: no falloff


def test_ellipse_shape_lights_around_each_object() -> None:
    frame, _ = _scene()
    one = np.zeros((60, 80), np.float32)
    one[20:40, 10:20] = 1.0
    two = np.zeros((60, 80), np.float32)
    two[20:40, 60:70] = 1.0
    ctx = EffectContext.build({1: one, 2: two})
    effect = Spotlight(dim=1.0, desaturate=0.0, falloff=0, shape="ellipse")
    out = effect.apply(frame, np.maximum(one, two), ctx)
    np.testing.assert_array_equal(out[30, 15], frame[30, 15])
    np.testing.assert_array_equal(out[30, 65], frame[30, 65])
    np.testing.assert_array_equal(out[30, 40], [0, 0, 0])  # between the two pools of light
    np.testing.assert_array_equal(out[2, 15], [0, 0, 0])
