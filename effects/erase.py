"""``erase``: remove the region by filling it with a colour or inpainting it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput
from effects.core.colors import solid_image
from effects.core.params import param
from effects.core.registry import register
from vfx.masks.morphology import grow_mask

ERASE_MODES: tuple[str, ...] = ("inpaint", "fill")
# Region alpha at or below this is not part of the hole.
_EMPTY = 0.01
# Pixels of surroundings kept around the hole for the inpainting to draw from.
_CONTEXT_PX = 24
_INPAINT_RADIUS = 3


@register
@dataclass(frozen=True)
class Erase(Effect):
    """Make the region disappear.

    ``inpaint`` fills it from the surrounding pixels (OpenCV's Telea inpainting,
    run at a reduced resolution because its cost grows with the hole's area);
    ``fill`` paints it with ``color``. The region is grown by ``grow`` pixels
    first so that the object's soft fringe goes too.
    """

    name = "erase"

    mode: str = param(
        "inpaint", "inpaint (from the surroundings) or fill (a flat colour).", choices=ERASE_MODES
    )
    color: tuple[int, int, int] = param(
        (128, 128, 128), "Fill colour for mode 'fill'.", kind="color"
    )
    grow: float = param(4.0, "Grow the region by this many pixels first.", low=0, high=200)
    resolution: int = param(
        270, "Inpaint at this frame height (smaller is faster).", low=64, high=4320
    )

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The filled pixels, weighted by the grown region, over the region's box.

        Only the region's bounding box (plus room for growing and for the
        inpainting to see the surroundings) is processed and painted.
        """
        height, width = alpha.shape
        x, y, w, h = cv2.boundingRect((alpha > _EMPTY).view(np.uint8))
        if w == 0:
            return EffectOutput(image=None, weight=np.zeros((0, 0), np.float32), box=(0, 0, 0, 0))
        margin = math.ceil(self.grow) + _CONTEXT_PX
        box = (
            max(0, x - margin),
            max(0, y - margin),
            min(width, x + w + margin),
            min(height, y + h + margin),
        )
        rows, cols = slice(box[1], box[3]), slice(box[0], box[2])
        hole = alpha[rows, cols]
        if self.grow > 0:
            hole = grow_mask(hole, self.grow)
        if self.mode == "inpaint":
            image = self._inpaint(frame[rows, cols], hole, height)
        else:
            image = solid_image(box[3] - box[1], box[2] - box[0], self.color)
        return EffectOutput(image=image, weight=np.ascontiguousarray(hole), box=box)

    def _inpaint(self, patch: np.ndarray, hole: np.ndarray, frame_height: int) -> np.ndarray:
        """Inpaint ``patch`` ``[h, w, 3]`` where ``hole`` ``[h, w]`` is above zero."""
        height, width = patch.shape[:2]
        scale = min(1.0, self.resolution / frame_height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole, size, interpolation=cv2.INTER_AREA)
        # Any pixel the hole touches is unknown, so that no object colour leaks in.
        unknown = (small_hole > _EMPTY).view(np.uint8)
        unknown = cv2.dilate(unknown, np.ones((3, 3), np.uint8))
        filled = cv2.inpaint(small, unknown, _INPAINT_RADIUS, cv2.INPAINT_TELEA)
        if scale == 1.0:
            return filled
        return cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)
