"""``spotlight``: keep the region lit, darken and desaturate everything else."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput, mask_box, scratch
from effects.core.kernels import blur
from effects.core.object_regions import object_areas
from effects.core.params import param
from effects.core.registry import register

SPOTLIGHT_SHAPES: tuple[str, ...] = ("mask", "ellipse")
# The ellipse around an object's box is this much larger than the box.
_ELLIPSE_PADDING = 1.25
# Ellipses are drawn on a canvas this many times smaller than the frame.
_ELLIPSE_CANVAS_SCALE = 4
# OpenCV's RGB -> grey weights (ITU-R BT.601), as a [1, 3] row.
_GREY_WEIGHTS = np.array([[0.299, 0.587, 0.114]], np.float32)


@register
@dataclass(frozen=True)
class Spotlight(Effect):
    """Light the region (per object) and dim the rest, with a soft falloff.

    The region is what stays lit: pixels where it is 1 are unchanged. With
    ``shape: ellipse`` each object gets an elliptical pool of light around its box.
    """

    name = "spotlight"
    paints_inside_region = False

    dim: float = param(0.65, "How much darker the outside gets, 0..1.", low=0, high=1)
    desaturate: float = param(0.5, "How much colour the outside loses, 0..1.", low=0, high=1)
    falloff: float = param(
        40.0, "Width of the soft edge of the light, in pixels.", low=0, high=1000
    )
    shape: str = param(
        "mask", "Light the mask itself, or an ellipse around each object.", choices=SPOTLIGHT_SHAPES
    )

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The dimmed ``[H, W, 3]`` frame, weighted by the unlit part ``[H, W]``."""
        keep = 1.0 - self.dim
        dark = scratch(ctx, "spotlight.image", frame.shape)
        if self.desaturate > 0:
            # keep * ((1 - desaturate) * rgb + desaturate * grey) as one colour matrix.
            mixing = np.eye(3, dtype=np.float32) * np.float32(1.0 - self.desaturate)
            mixing += np.float32(self.desaturate) * _GREY_WEIGHTS  # rows += weights
            dark = cv2.transform(frame, mixing * np.float32(keep), dst=dark)
        else:
            dark = cv2.convertScaleAbs(frame, alpha=keep, dst=dark)
        light = self._ellipses(alpha, ctx) if self.shape == "ellipse" else alpha
        if self.falloff <= 0:
            return EffectOutput(image=dark, weight=np.subtract(np.float32(1.0), light))
        # Doubling the blurred light keeps the lit area's edge fully lit and lets
        # the light fade out beyond it; unlit = 1 - min(max(2 * blur, light), 1),
        # computed in place in the blur's buffer.
        unlit = blur(
            light, self.falloff, out=scratch(ctx, "spotlight.weight", light.shape, np.float32)
        )
        np.multiply(unlit, np.float32(2.0), out=unlit)
        np.maximum(unlit, light, out=unlit)
        np.minimum(unlit, np.float32(1.0), out=unlit)
        np.subtract(np.float32(1.0), unlit, out=unlit)
        return EffectOutput(image=dark, weight=unlit)

    def _ellipses(self, alpha: np.ndarray, ctx: EffectContext) -> np.ndarray:
        """``[H, W]`` float32: 1 inside an ellipse around each object's part of the region."""
        height, width = alpha.shape
        scale = _ELLIPSE_CANVAS_SCALE
        canvas = np.zeros((-(-height // scale), -(-width // scale)), np.uint8)
        for area in object_areas(ctx, alpha, margin=0):
            box = mask_box(area.alpha)
            if box is None:
                continue
            x0, y0, x1, y1 = box
            centre = (
                (area.cols.start + (x0 + x1) / 2) / scale,
                (area.rows.start + (y0 + y1) / 2) / scale,
            )
            axes = (
                (x1 - x0) * _ELLIPSE_PADDING / scale / 2,
                (y1 - y0) * _ELLIPSE_PADDING / scale / 2,
            )
            cv2.ellipse(canvas, (centre, (2 * axes[0], 2 * axes[1]), 0.0), 255, thickness=-1)
        ellipses = cv2.resize(
            canvas,
            (width, height),
            dst=scratch(ctx, "spotlight.ellipses", (height, width)),
            interpolation=cv2.INTER_LINEAR,
        )
        light = scratch(ctx, "spotlight.light", (height, width), np.float32)
        return np.multiply(ellipses, np.float32(1.0 / 255.0), out=light, dtype=np.float32)
