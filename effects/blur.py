"""``blur``: Gaussian, box or lens (disc) blur of the region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput, scratch
from effects.core.kernels import BLUR_KINDS, blur, blur_within
from effects.core.params import param
from effects.core.registry import register


@register
@dataclass(frozen=True)
class Blur(Effect):
    """Blur the pixels of the region; large radii stay fast (downscale, blur, upscale).

    With ``isolate`` (the default) only the region's own pixels are averaged: a
    blurred background (region ``~subject``) then shows no halo of the subject's
    colours around its edge.
    """

    name = "blur"

    radius: float = param(
        21.0, "Blur radius in pixels (Gaussian sigma = radius / 2).", low=0, high=1000
    )
    kind: str = param(
        "gaussian",
        "gaussian, box, or lens (a disc, like an out-of-focus lens).",
        choices=BLUR_KINDS,
    )
    isolate: bool = param(
        True, "Blur only with pixels of the region, so nothing outside smears into it."
    )

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The blurred ``[H, W, 3]`` frame, weighted by the region ``alpha``."""
        out = scratch(ctx, "blur.image", frame.shape)
        if self.isolate:
            image = blur_within(frame, alpha, self.radius, self.kind, out=out)
        else:
            image = blur(frame, self.radius, self.kind, out=out)
        return EffectOutput(image=image, weight=alpha)
