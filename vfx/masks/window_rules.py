"""How a window of aligned mask values becomes one value per pixel, and which regions survive.

The rules are symmetric in time (zero-phase): ``median`` keeps steps sharp,
``trimmed`` averages all but the lowest and highest value, ``mean`` weighs the
window binomially. ``hysteresis`` then keeps only regions that reach a high
value somewhere, with their soft values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np


def sort_values(values: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Sort same-shape arrays elementwise (odd-even transposition network); returns new arrays."""
    items = [np.array(value, dtype=np.float32, copy=True) for value in values]
    count = len(items)
    if count < 2:
        return items
    spare = np.empty_like(items[0])
    for round_ in range(count):
        for i in range(round_ % 2, count - 1, 2):
            # Compare-exchange without allocating: the minimum goes to the spare
            # buffer, which then takes slot i, whose buffer becomes the spare.
            np.minimum(items[i], items[i + 1], out=spare)
            np.maximum(items[i], items[i + 1], out=items[i + 1])
            items[i], spare = spare, items[i]
    return items


def combine(values: Sequence[np.ndarray], offsets: Sequence[int], mode: str) -> np.ndarray:
    """Combine aligned ``[h, w]`` float32 neighbour values per pixel.

    Args:
        values: one array per frame of the window.
        offsets: each array's frame offset from the current frame (for ``mean`` weights).
        mode: ``median``, ``trimmed`` (mean without the lowest and highest) or
            ``mean`` (binomial weights; the window's ends weigh least).
    """
    count = len(values)
    if count == 1:
        return np.array(values[0], dtype=np.float32, copy=True)
    if mode == "mean":
        reach = max(abs(offset) for offset in offsets)
        weights = [math.comb(2 * reach, reach + offset) for offset in offsets]
        total = np.zeros_like(values[0])
        for weight, value in zip(weights, values, strict=True):
            total += np.float32(weight) * value
        return total * np.float32(1.0 / sum(weights))
    if mode == "median":
        ordered = sort_values(values)
        middle = count // 2
        if count % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) * np.float32(0.5)
    # Trimmed mean without sorting: the sum less the lowest and the highest value.
    total = np.add(values[0], values[1], dtype=np.float32)
    for value in values[2:]:
        total += value
    if count < 3:
        return total * np.float32(1.0 / count)
    lowest = np.minimum(values[0], values[1])
    highest = np.maximum(values[0], values[1])
    for value in values[2:]:
        np.minimum(lowest, value, out=lowest)
        np.maximum(highest, value, out=highest)
    total -= lowest
    total -= highest
    total *= np.float32(1.0 / (count - 2))
    # Rounding of the sum may leave a hair outside the values' range.
    return np.clip(total, 0.0, 1.0, out=total)


def hysteresis(alpha: np.ndarray, low: float, high: float) -> np.ndarray:
    """Zero all of ``alpha`` below ``low`` and each region >= ``low`` with no pixel >= ``high``.

    Args:
        alpha: ``[h, w]`` float32, modified in place.

    Returns:
        ``alpha``.
    """
    region = (alpha >= low).view(np.uint8)
    count, labels = cv2.connectedComponents(region, connectivity=8)
    # THRESH_TOZERO keeps values above its threshold: the float32 just below ``low``.
    below = float(np.nextafter(np.float32(low), np.float32(-1.0)))
    cv2.threshold(alpha, below, 0.0, cv2.THRESH_TOZERO, dst=alpha)
    if count <= 2:  # at most one region: no labels to look up
        if count == 2 and alpha.max() < high:
            alpha[:] = 0.0
        return alpha
    seeded = np.zeros(count, bool)
    seeded[labels[alpha >= high]] = True
    seeded[0] = False  # below low
    alpha[~seeded[labels]] = 0.0
    return alpha
