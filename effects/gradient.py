"""``gradient``: a two-colour gradient over the region; also a background source."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput
from effects.core.params import param
from effects.core.registry import register

GRADIENT_DIRECTIONS: tuple[str, ...] = ("vertical", "horizontal", "diagonal", "radial")


@register
@dataclass(frozen=True)
class Gradient(Effect):
    """A smooth blend from ``start`` to ``end``.

    ``vertical`` runs top to bottom, ``horizontal`` left to right, ``diagonal``
    top-left to bottom-right, ``radial`` from the centre to the corners.
    """

    name = "gradient"

    start: tuple[int, int, int] = param(
        (24, 32, 56), "Colour at the top / left / centre.", kind="color"
    )
    end: tuple[int, int, int] = param(
        (96, 128, 176), "Colour at the bottom / right / corners.", kind="color"
    )
    direction: str = param("vertical", "Which way the colours run.", choices=GRADIENT_DIRECTIONS)

    def generate(self, size: tuple[int, int], ctx: EffectContext) -> np.ndarray:
        """The ``[H, W, 3]`` uint8 image for ``size`` ``(width, height)``, cached in ``ctx``."""
        key = (self, size)
        image = ctx.cache.get(key)
        if image is None:
            image = ctx.cache[key] = self._draw(size)
        return image

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The gradient, weighted by the region ``alpha``."""
        return EffectOutput(
            image=self.generate((frame.shape[1], frame.shape[0]), ctx), weight=alpha
        )

    def _draw(self, size: tuple[int, int]) -> np.ndarray:
        width, height = size
        ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]  # [H, 1]
        xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]  # [1, W]
        if self.direction == "vertical":
            t = np.broadcast_to(ys, (height, width))
        elif self.direction == "horizontal":
            t = np.broadcast_to(xs, (height, width))
        elif self.direction == "diagonal":
            t = (xs + ys) / 2.0
        else:
            t = np.hypot(xs - 0.5, ys - 0.5) / np.hypot(0.5, 0.5)
        start = np.asarray(self.start, np.float32)
        end = np.asarray(self.end, np.float32)
        image = start + (end - start) * t[..., None]  # [H, W, 1] * [3] -> [H, W, 3]
        return np.rint(image).astype(np.uint8)
