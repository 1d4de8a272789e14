"""Per-object work areas for effects that treat each tracked object on its own.

Working inside each object's bounding box (plus a margin) instead of the whole
frame keeps per-object effects cheap at 1080p when objects are small.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import EffectContext, ObjectInfo, mask_box
from effects.core.colors import object_color, solid_image


@dataclass(frozen=True)
class ObjectArea:
    """One object's part of the region: ``rows``/``cols`` slice the frame, ``alpha`` is
    ``[h, w]`` float32 = the object's mask times the region alpha inside that box."""

    info: ObjectInfo
    rows: slice
    cols: slice
    alpha: np.ndarray


def object_areas(ctx: EffectContext, alpha: np.ndarray, margin: int) -> Iterator[ObjectArea]:
    """Every visible object's area within ``alpha`` ``[H, W]``, boxes widened by ``margin``.

    Without object masks the whole region counts as one object (id 1).
    """
    height, width = alpha.shape
    if not ctx.object_masks:
        box = mask_box(alpha)
        if box is not None:
            info = ObjectInfo(id=1, name="region", color=object_color(1), box=box)
            rows, cols = _widen(box, margin, height, width)
            yield ObjectArea(info, rows, cols, alpha[rows, cols])
        return
    for info in ctx.objects:
        mask = ctx.object_masks.get(info.id)
        if info.box is None or mask is None:
            continue
        rows, cols = _widen(info.box, margin, height, width)
        yield ObjectArea(info, rows, cols, mask[rows, cols] * alpha[rows, cols])


def _widen(
    box: tuple[int, int, int, int], margin: int, height: int, width: int
) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return (
        slice(max(0, y0 - margin), min(height, y1 + margin)),
        slice(max(0, x0 - margin), min(width, x1 + margin)),
    )


def union_box(areas: list[ObjectArea]) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` around every area (all zeros when there are none)."""
    if not areas:
        return (0, 0, 0, 0)
    return (
        min(area.cols.start for area in areas),
        min(area.rows.start for area in areas),
        max(area.cols.stop for area in areas),
        max(area.rows.stop for area in areas),
    )


def within(area: ObjectArea, box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    """The ``(rows, cols)`` slices of ``area`` relative to the corner of ``box``."""
    x0, y0 = box[0], box[1]
    return (
        slice(area.rows.start - y0, area.rows.stop - y0),
        slice(area.cols.start - x0, area.cols.stop - x0),
    )


def paint_over(
    image: np.ndarray,
    weight: np.ndarray,
    where: tuple[slice, slice],
    paint: np.ndarray,
    color: tuple[int, int, int],
) -> None:
    """Where ``paint`` beats ``weight[where]``, set ``color`` and raise the weight to it.

    ``image`` ``[h, w, 3]`` uint8 and ``weight`` ``[h, w]`` float32 are updated in
    place; ``paint`` is ``[h', w']`` float32, the size of the ``where`` slices.
    The strongest paint of overlapping objects decides the colour.
    """
    current = weight[where]
    wins = cv2.compare(paint, current, cv2.CMP_GT)  # [h', w'] uint8 0/255
    # A masked copy, in place into the view.
    height, width = paint.shape
    cv2.copyTo(solid_image(height, width, color), wins, image[where])
    np.maximum(current, paint, out=current)
