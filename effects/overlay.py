"""``overlay``: tint each object with its colour and draw its outline (the SAM 2 demo look)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput
from effects.core.kernels import stroke_band
from effects.core.object_regions import object_areas, paint_over, union_box, within
from effects.core.params import param
from effects.core.registry import register


@register
@dataclass(frozen=True)
class Overlay(Effect):
    """A translucent colour fill over each object in the region, with a solid outline.

    Each object gets its stable palette colour (or ``color`` for all of them).
    The outline lies just inside the object's edge, so nothing is painted
    outside the region.
    """

    name = "overlay"

    opacity: float = param(0.5, "Opacity of the fill, 0..1.", low=0, high=1)
    outline_width: float = param(3.0, "Outline width in pixels (0: no outline).", low=0, high=100)
    color: tuple[int, int, int] | None = param(
        None, "One colour for every object (default: each object's palette colour).", kind="color"
    )

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """Object colours and their fill/outline weight, over the objects' box."""
        areas = list(object_areas(ctx, alpha, margin=math.ceil(self.outline_width) + 1))
        # Everything is painted into arrays covering just the objects' boxes.
        box = union_box(areas)
        x0, y0, x1, y1 = box
        image = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
        weight = np.zeros((y1 - y0, x1 - x0), np.float32)
        for area in areas:
            paint = np.multiply(area.alpha, np.float32(self.opacity))
            if self.outline_width > 0:
                paint = cv2.max(paint, stroke_band(area.alpha, self.outline_width, "inside"))
            paint_over(image, weight, within(area, box), paint, self.color or area.info.color)
        return EffectOutput(image=image, weight=weight, box=box)
