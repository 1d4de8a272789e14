"""``edges``: a Sobel edge stylise of the region."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput, scratch
from effects.core.kernels import halve
from effects.core.params import param
from effects.core.registry import register

EDGE_STYLES: tuple[str, ...] = ("neon", "mono", "sketch")


@register
@dataclass(frozen=True)
class Edges(Effect):
    """Draw the region as its edges (Sobel gradient magnitude).

    ``neon``: edges in the frame's own colours on black; ``mono``: white edges on
    black; ``sketch``: dark lines on white paper.
    """

    name = "edges"

    style: str = param("neon", "neon, mono or sketch.", choices=EDGE_STYLES)
    strength: float = param(2.0, "Gain on the edge magnitude.", low=0.1, high=10)

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The stylised ``[H, W, 3]`` frame, weighted by the region ``alpha``."""
        height, width = frame.shape[:2]
        plane = (height, width)
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY, dst=scratch(ctx, "edges.grey", plane))
        grey = cv2.GaussianBlur(grey, (3, 3), 0, dst=grey)
        # Both 3x3 Sobel derivatives in one pass (several times faster than two
        # cv2.Sobel calls, and equal to them).
        dx, dy = (
            scratch(ctx, "edges.dx", plane, np.int16),
            scratch(ctx, "edges.dy", plane, np.int16),
        )
        dx, dy = cv2.spatialGradient(grey, dx=dx, dy=dy)
        abs_dx = cv2.convertScaleAbs(dx, dst=scratch(ctx, "edges.abs_dx", plane))
        abs_dy = cv2.convertScaleAbs(dy, dst=scratch(ctx, "edges.abs_dy", plane))
        # |dx| + |dy| approximates the magnitude; Sobel's gain is up to 4 per axis.
        gain = self.strength / 4.0
        magnitude = cv2.addWeighted(abs_dx, gain, abs_dy, gain, 0.0, dst=grey)
        if self.style == "sketch":
            magnitude = cv2.bitwise_not(magnitude, dst=magnitude)
        edges = scratch(ctx, "edges.image", (height, width, 3))
        edges = cv2.cvtColor(magnitude, cv2.COLOR_GRAY2RGB, dst=edges)
        if self.style == "neon":
            edges = cv2.multiply(edges, _full_brightness(frame, ctx), scale=1.0 / 255.0, dst=edges)
        return EffectOutput(image=edges, weight=alpha)


def _full_brightness(frame: np.ndarray, ctx: EffectContext) -> np.ndarray:
    """``[H, W, 3]``: the frame's hue and saturation at full value.

    Computed at a quarter of the size: colour varies slowly, the edges carry
    the detail.
    """
    height, width = frame.shape[:2]
    hsv = cv2.cvtColor(halve(halve(frame)), cv2.COLOR_RGB2HSV)
    hsv[..., 2] = 255
    colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return cv2.resize(
        colour,
        (width, height),
        dst=scratch(ctx, "edges.colour", (height, width, 3)),
        interpolation=cv2.INTER_LINEAR,
    )
