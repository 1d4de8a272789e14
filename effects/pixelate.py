"""``pixelate``: mosaic the region into square blocks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput, scratch
from effects.core.params import param
from effects.core.registry import register


@register
@dataclass(frozen=True)
class Pixelate(Effect):
    """Replace the region by blocks of their average colour (blocks align to the frame grid)."""

    name = "pixelate"

    block: int = param(16, "Side of the square blocks in pixels.", low=2, high=512)

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The mosaic ``[H, W, 3]``, weighted by the region ``alpha``."""
        height, width = frame.shape[:2]
        small = block_means(frame, self.block)  # [rows, cols, 3]
        # Replicating rows of a thin image is far cheaper than a full-size
        # nearest-neighbour resize.
        wide = np.repeat(small, self.block, axis=1)[:, :width]  # [rows, W, 3]
        rows = small.shape[0]
        image = scratch(ctx, "pixelate.image", (rows * self.block, *wide.shape[1:]))
        # [rows * block, W, C] -> [rows, block, W, C]: each block row repeats its row of means.
        image.reshape(rows, self.block, *wide.shape[1:])[...] = wide[:, None]
        return EffectOutput(image=image[:height], weight=alpha)


def block_means(frame: np.ndarray, block: int) -> np.ndarray:
    """``[ceil(H / block), ceil(W / block), C]`` uint8 means of the ``block``-square tiles.

    Partial tiles at the bottom and right are completed by repeating the last
    row and column; whole tiles make the area resize an exact per-tile mean.
    """
    height, width = frame.shape[:2]
    cols, rows = math.ceil(width / block), math.ceil(height / block)
    padded = frame
    if (cols * block, rows * block) != (width, height):
        padded = cv2.copyMakeBorder(
            frame, 0, rows * block - height, 0, cols * block - width, cv2.BORDER_REPLICATE
        )
    return cv2.resize(padded, (cols, rows), interpolation=cv2.INTER_AREA)
