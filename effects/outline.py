"""``outline``: a stroke around the region, with an optional glow."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput
from effects.core.kernels import STROKE_POSITIONS, blur, stroke_band
from effects.core.object_regions import object_areas, paint_over, union_box, within
from effects.core.params import param
from effects.core.registry import register


@register
@dataclass(frozen=True)
class Outline(Effect):
    """Stroke the edge of the region, per object, and let it glow.

    The region is the shape to outline: with ``position: outside`` (the default)
    the stroke is drawn around it, outside the region. Each object gets its
    palette colour unless ``color`` is set.
    """

    name = "outline"
    paints_inside_region = False

    width: float = param(4.0, "Stroke width in pixels.", low=0.5, high=200)
    position: str = param(
        "outside", "Where the stroke lies: outside, inside, center.", choices=STROKE_POSITIONS
    )
    glow: float = param(0.6, "Strength of the glow around the stroke, 0 (off)..1.", low=0, high=1)
    glow_radius: float = param(12.0, "How far the glow spreads, in pixels.", low=1, high=200)
    color: tuple[int, int, int] | None = param(
        None, "Stroke colour (default: each object's palette colour).", kind="color"
    )

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """Stroke colours and the stroke-plus-glow weight, over the objects' box."""
        reach = self.width + (2.0 * self.glow_radius if self.glow > 0 else 0.0)
        areas = list(object_areas(ctx, alpha, margin=math.ceil(reach) + 2))
        # Everything is painted into arrays covering just the objects' boxes.
        box = union_box(areas)
        x0, y0, x1, y1 = box
        image = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
        weight = np.zeros((y1 - y0, x1 - x0), np.float32)
        for area in areas:
            paint = stroke_band(area.alpha, self.width, self.position)
            if self.glow > 0:
                halo = blur(paint, self.glow_radius)
                paint = cv2.max(paint, np.multiply(halo, np.float32(2.0 * self.glow)))
                np.minimum(paint, 1.0, out=paint)
            paint_over(image, weight, within(area, box), paint, self.color or area.info.color)
        return EffectOutput(image=image, weight=weight, box=box)
