"""overlay: a tint stands out from the object it marks (the demo's red circle, blue square)."""

from __future__ import annotations

import numpy as np

from effects import EffectContext, Overlay
from effects.core.colors import OBJECT_PALETTE, object_color
from effects.overlay import MIN_CONTRAST, MIN_VIVID, contrasting_color
from vfx.demo.synthetic import scene_frames


def tint_of(out: np.ndarray, frame: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    """The colour a 100 % fill painted at pixel ``at``."""
    assert not np.array_equal(out[at], frame[at])
    return out[at].astype(float)


def test_each_demo_object_is_tinted_in_a_colour_that_stands_out_from_it() -> None:
    scene = next(iter(scene_frames(480, 270, 40, objects=2, background=None)))
    masks = {k + 1: scene.masks[k].astype(np.float32) for k in range(2)}
    ctx = EffectContext.build(masks)
    region = np.ones(scene.rgb.shape[:2], np.float32)
    out = Overlay(opacity=1.0, outline_width=0).apply(scene.rgb, region, ctx)
    tints = []
    for k in range(2):
        ys, xs = np.nonzero(scene.masks[k])
        at = (ys[len(ys) // 2], xs[len(xs) // 2])
        tint = tint_of(out, scene.rgb, at)
        own = scene.rgb[scene.masks[k]].mean(axis=0)
        assert np.linalg.norm(tint - own) >= MIN_CONTRAST, f"object {k + 1}"
        assert np.ptp((tint + own) / 2) >= MIN_VIVID, f"object {k + 1} would turn grey"
        tints.append(tuple(tint))
    assert tints[0] != tints[1]  # still one colour per object


def test_palette_colour_is_kept_when_it_already_contrasts() -> None:
    pixels = np.full((4, 4, 3), 128, np.uint8)  # a grey object
    alpha = np.ones((4, 4), np.float32)
    assert contrasting_color(object_color(1), pixels, alpha) == object_color(1)
    red = np.zeros((4, 4, 3), np.uint8)
    red[:] = object_color(1)  # an object of exactly its palette colour
    chosen = contrasting_color(object_color(1), red, alpha)
    assert chosen in OBJECT_PALETTE and chosen != object_color(1)
    assert np.linalg.norm(np.subtract(chosen, object_color(1))) >= MIN_CONTRAST
    assert contrasting_color(object_color(1), red, np.zeros((4, 4), np.float32)) == object_color(1)
