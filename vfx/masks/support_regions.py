"""Where a mask has content: boxes around its separate parts, merged when they overlap.

Filters that work per object restrict themselves to these boxes, so a blob far
from the object does not turn the object's box into the whole frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # (y0, y1, x0, x1), end-exclusive


# More separate regions than this in a window are processed as one box.
_MAX_REGIONS = 16


def support_regions(plane: np.ndarray, low: float, factor: int) -> list[Box]:
    """Boxes of the separate parts of ``plane >= low`` (``[H, W]``), found at 1/``factor`` size.

    Working per part keeps a spurious blob far from the object from turning
    the object's box into the whole frame.
    """
    height, width = plane.shape
    # 255 where plane >= low (float32 comparison, as numpy's), else 0.
    support = cv2.compare(plane, low, cv2.CMP_GE)  # type: ignore[call-overload]  # a scalar operand
    if factor > 1:
        small = (math.ceil(width / factor), math.ceil(height / factor))
        # Area averaging of 0/255 cells: nonzero wherever the cell holds any support.
        support = cv2.resize(support, small, interpolation=cv2.INTER_AREA)
    stats = cv2.connectedComponentsWithStats(support, connectivity=8)[2]
    boxes = []
    for left, top, w, h, _ in stats[1:]:
        boxes.append(
            (
                int(top) * factor,
                min(height, int(top + h) * factor),
                int(left) * factor,
                min(width, int(left + w) * factor),
            )
        )
    return boxes


def merge_boxes(boxes: Sequence[Box]) -> list[Box]:
    """Merge overlapping boxes until none overlap; many boxes become their union."""
    merged = list(boxes)
    if len(merged) > _MAX_REGIONS:
        merged = [
            (
                min(b[0] for b in merged),
                max(b[1] for b in merged),
                min(b[2] for b in merged),
                max(b[3] for b in merged),
            )
        ]
    changed = True
    while changed:
        changed = False
        result: list[Box] = []
        for box in merged:
            for i, other in enumerate(result):
                overlap = box[0] < other[1] and other[0] < box[1]
                if overlap and box[2] < other[3] and other[2] < box[3]:
                    result[i] = (
                        min(box[0], other[0]),
                        max(box[1], other[1]),
                        min(box[2], other[2]),
                        max(box[3], other[3]),
                    )
                    changed = True
                    break
            else:
                result.append(box)
        merged = result
    return merged
