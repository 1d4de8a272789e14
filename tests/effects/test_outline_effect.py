"""outline: a stroke around the region per object, plus glow."""

from __future__ import annotations

import numpy as np

from effects import EffectContext, Outline
from effects.core.colors import object_color


def _square() -> np.ndarray:
    mask = np.zeros((40, 40), np.float32)
    mask[15:25, 15:25] = 1.0
    return mask


def test_outside_stroke_without_glow() -> None:
    mask = _square()
    frame = np.full((40, 40, 3), 50, np.uint8)
    ctx = EffectContext.build({3: mask})
    out = Outline(width=3, glow=0).apply(frame, mask, ctx)
    np.testing.assert_array_equal(out[20, 13], object_color(3))  # 2 px outside the edge
    np.testing.assert_array_equal(out[20, 20], [50, 50, 50])  # the region itself is untouched
    np.testing.assert_array_equal(out[20, 8], [50, 50, 50])  # beyond the stroke


def test_inside_and_centre_positions_and_colour() -> None:
    mask = _square()
    frame = np.zeros((40, 40, 3), np.uint8)
    ctx = EffectContext(size=(40, 40))
    inside = Outline(width=2, glow=0, position="inside", color="white").apply(frame, mask, ctx)
    assert inside[20, 15].tolist() == [255] * 3 and inside[20, 13].tolist() == [0] * 3
    centre = Outline(width=4, glow=0, position="center", color="white").apply(frame, mask, ctx)
    assert centre[20, 14].tolist() == [255] * 3 and centre[20, 16].tolist() == [255] * 3
    assert centre[20, 20].tolist() == [0] * 3


def test_glow_fades_with_distance() -> None:
    mask = _square()
    frame = np.zeros((40, 40, 3), np.uint8)
    out = Outline(width=1, glow=1.0, glow_radius=6, color="white").apply(
        frame, mask, EffectContext(size=(40, 40))
    )
    profile = out[20, 2:15, 0].astype(int)  # column 14 is the 1 px stroke
    assert (np.diff(profile) >= 0).all() and profile[0] < profile[-1] and profile[-1] == 255
