"""``erase``: remove the region by showing what was behind it, inpainting it, or a colour.

Large holes filled from their surroundings alone (Telea inpainting) smear into a
radial "pinwheel". So by default the hole is first filled from the running
background plate (:mod:`effects.core.background_plate`): the colour each pixel had
in the nearest frame where no object covered it. Only what no frame showed is
inpainted. The plate is used where it agrees with the frame around the hole
(a steady camera); where it does not, the whole hole is inpainted.
"""

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
# Width of the ring around the hole where the plate is compared with the frame.
_RING_PX = 6
# Median difference (levels) above which the plate does not match the frame there.
_PLATE_MISMATCH = 14.0


@register
@dataclass(frozen=True)
class Erase(Effect):
    """Make the region disappear.

    ``inpaint`` shows the background that other frames saw there (``temporal``,
    when the render streams a background plate) and fills the rest from the
    surrounding pixels (OpenCV's Telea inpainting, run at a reduced resolution
    because its cost grows with the hole's area); ``fill`` paints it with
    ``color``. The region is grown by ``grow`` pixels first so that the object's
    soft fringe goes too.
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
    temporal: bool = param(
        True,
        "Fill from frames where the background was visible before inpainting (steady camera).",
    )

    def uses_background(self) -> bool:
        """The background plate feeds mode ``inpaint`` when ``temporal`` is on."""
        return self.mode == "inpaint" and self.temporal

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
            filled = _Filled(frame[rows, cols], hole)
            plate = ctx.background
            if self.uses_background() and plate is not None:
                filled = _from_plate(
                    filled.image, hole, plate.image[rows, cols], plate.known[rows, cols]
                )
            image = filled.image
            if (filled.unknown > _EMPTY).any():
                image = self._inpaint(image, filled.unknown, height)
        else:
            image = solid_image(box[3] - box[1], box[2] - box[0], self.color)
        return EffectOutput(image=image, weight=np.ascontiguousarray(hole), box=box)

    def _inpaint(self, patch: np.ndarray, hole: np.ndarray, frame_height: int) -> np.ndarray:
        """Inpaint ``patch`` ``[h, w, 3]`` where ``hole`` ``[h, w]`` is above zero; the
        pixels outside the hole are kept as they are."""
        height, width = patch.shape[:2]
        scale = min(1.0, self.resolution / frame_height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole, size, interpolation=cv2.INTER_AREA)
        # Any pixel the hole touches is unknown, so that no object colour leaks in.
        unknown = cv2.dilate((small_hole > _EMPTY).view(np.uint8), np.ones((3, 3), np.uint8))
        filled = cv2.inpaint(small, unknown, _INPAINT_RADIUS, cv2.INPAINT_TELEA)
        if scale != 1.0:
            filled = cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.where((hole > _EMPTY)[:, :, None], filled, patch)  # [h, w] -> [h, w, 1]


@dataclass(frozen=True)
class _Filled:
    """A patch with part of its hole filled: ``image`` ``[h, w, 3]``, ``unknown`` ``[h, w]``
    float32 (the hole's alpha where nothing filled it yet)."""

    image: np.ndarray
    unknown: np.ndarray


def _from_plate(
    patch: np.ndarray, hole: np.ndarray, plate: np.ndarray, known: np.ndarray
) -> _Filled:
    """Fill ``hole`` ``[h, w]`` in ``patch`` ``[h, w, 3]`` from the background ``plate`` where it
    is ``known``, when the plate agrees with the frame in a ring around the hole."""
    inside = hole > _EMPTY
    ring_kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * _RING_PX + 1, 2 * _RING_PX + 1)
    )
    ring = (cv2.dilate(inside.view(np.uint8), ring_kernel) > 0) & ~inside & known
    if ring.sum() < 16:  # nothing to compare with: the hole fills the view
        return _Filled(patch, hole)
    difference = np.abs(plate[ring].astype(np.int16) - patch[ring].astype(np.int16))
    if float(np.median(difference)) > _PLATE_MISMATCH:
        return _Filled(patch, hole)  # the camera moved or the light changed
    use = inside & known
    image = np.where(use[:, :, None], plate, patch)  # [h, w] -> [h, w, 1]
    return _Filled(image, np.where(use, np.float32(0.0), hole))
