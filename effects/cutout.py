"""``cutout``: keep the region, make everything else transparent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput, scratch
from effects.core.params import param
from effects.core.registry import register


@register
@dataclass(frozen=True)
class Cutout(Effect):
    """Make pixels outside the region transparent (RGBA output, straight alpha).

    The colours are kept as they are, so edges do not darken when the result is
    composited elsewhere; the region's soft alpha becomes the frame's alpha.
    """

    name = "cutout"
    makes_alpha = True
    paints_inside_region = False

    invert: bool = param(False, "Keep the outside of the region instead.")

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """No colour change; weight = outside of the region, which moves to opacity 0."""
        if self.invert:
            return EffectOutput(image=None, weight=alpha, opacity=0)
        outside = np.subtract(
            np.float32(1.0), alpha, out=scratch(ctx, "cutout.weight", alpha.shape, np.float32)
        )
        return EffectOutput(image=None, weight=outside, opacity=0)
