"""``pixelate``: mosaic the region into square blocks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from effects.base import Effect, EffectContext, EffectOutput
from effects.params import param
from effects.registry import register


@register
@dataclass(frozen=True)
class Pixelate(Effect):
    """Replace the region by blocks of their average colour (blocks align to the frame grid)."""

    name = "pixelate"

    block: int = param(16, "Side of the square blocks in pixels.", low=2, high=512)

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The mosaic ``[H, W, 3]``, weighted by the region ``alpha``."""
        height, width = frame.shape[:2]
        cols, rows = math.ceil(width / self.block), math.ceil(height / self.block)
        padded = frame
        if (cols * self.block, rows * self.block) != (width, height):
            # Whole blocks make the area resize an exact per-block mean.
            padded = cv2.copyMakeBorder(
                frame,
                0,
                rows * self.block - height,
                0,
                cols * self.block - width,
                cv2.BORDER_REPLICATE,
            )
        small = cv2.resize(padded, (cols, rows), interpolation=cv2.INTER_AREA)
        big = cv2.resize(
            small, (cols * self.block, rows * self.block), interpolation=cv2.INTER_NEAREST
        )
        return EffectOutput(image=np.ascontiguousarray(big[:height, :width]), weight=alpha)
