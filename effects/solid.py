"""``solid``: fill the region with one colour; also a background source (``solid:COLOR``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput
from effects.core.colors import solid_image
from effects.core.params import param
from effects.core.registry import register


@register
@dataclass(frozen=True)
class Solid(Effect):
    """A flat colour over the region."""

    name = "solid"

    color: tuple[int, int, int] = param((0, 177, 64), "The fill colour.", kind="color")

    def generate(self, size: tuple[int, int], ctx: EffectContext) -> np.ndarray:
        """The ``[H, W, 3]`` uint8 image for ``size`` ``(width, height)``, cached in ``ctx``."""
        key = (self, size)
        image = ctx.cache.get(key)
        if image is None:
            image = ctx.cache[key] = solid_image(size[1], size[0], self.color)
        return image

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The colour, weighted by the region ``alpha``."""
        return EffectOutput(
            image=self.generate((frame.shape[1], frame.shape[0]), ctx), weight=alpha
        )
