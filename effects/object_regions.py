"""Per-object work areas for effects that treat each tracked object on its own.

Working inside each object's bounding box (plus a margin) instead of the whole
frame keeps per-object effects cheap at 1080p when objects are small.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from effects.base import EffectContext, ObjectInfo, mask_box
from effects.colors import object_color


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
