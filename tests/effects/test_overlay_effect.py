"""overlay: per-object palette fill at the given opacity, with an inside outline."""

from __future__ import annotations

import numpy as np

from effects import EffectContext, Overlay
from effects.core.colors import object_color


def _two_objects() -> dict[int, np.ndarray]:
    one = np.zeros((30, 40), np.float32)
    one[5:25, 3:17] = 1.0
    two = np.zeros((30, 40), np.float32)
    two[5:25, 23:37] = 1.0
    return {1: one, 2: two}


def test_each_object_gets_its_colour_fill_and_outline() -> None:
    masks = _two_objects()
    frame = np.full((30, 40, 3), 100, np.uint8)
    ctx = EffectContext.build(masks)
    region = np.ones((30, 40), np.float32)
    out = Overlay(opacity=0.5, outline_width=2).apply(frame, region, ctx).astype(int)
    for obj_id, column in ((1, 10), (2, 30)):
        color = np.array(object_color(obj_id))
        np.testing.assert_allclose(out[15, column], (color + 100) / 2, atol=1)  # 50 % fill
    np.testing.assert_array_equal(out[15, 3], object_color(1))  # outline: full colour
    np.testing.assert_array_equal(out[15, 36], object_color(2))
    np.testing.assert_array_equal(out[15, 20], [100, 100, 100])  # between the objects
    np.testing.assert_array_equal(out[2, 10], [100, 100, 100])


def test_region_limits_the_overlay_and_colour_override() -> None:
    masks = _two_objects()
    frame = np.full((30, 40, 3), 100, np.uint8)
    ctx = EffectContext.build(masks)
    out = Overlay(opacity=1.0, outline_width=0, color="#000000").apply(frame, masks[2], ctx)
    np.testing.assert_array_equal(out[15, 10], [100, 100, 100])  # object 1 is outside the region
    np.testing.assert_array_equal(out[15, 30], [0, 0, 0])


def test_without_objects_the_region_is_one_object() -> None:
    region = _two_objects()[1]
    frame = np.zeros((30, 40, 3), np.uint8)
    out = Overlay(opacity=1.0).apply(frame, region, EffectContext(size=(40, 30)))
    np.testing.assert_array_equal(out[15, 10], object_color(1))
    np.testing.assert_array_equal(out[15, 30], [0, 0, 0])
