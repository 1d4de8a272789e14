"""Where the automatic mask generator prompts: point grids and the crop boxes of each layer.

Layer 0 is the whole image; crop layer ``i >= 1`` tiles the image into ``2**i x 2**i``
overlapping crops, and is prompted with a grid ``crop_n_points_downscale_factor**i`` times
sparser per side.
"""

from __future__ import annotations

import math

import numpy as np


def point_grid(n_per_side: int) -> np.ndarray:
    """``[n*n, 2]`` float64 (x, y) cell centres of an ``n x n`` grid over the unit square,
    row by row (y outer, x inner)."""
    half_cell = 0.5 / max(n_per_side, 1)
    centres = np.linspace(half_cell, 1.0 - half_cell, n_per_side)
    ys, xs = np.meshgrid(centres, centres, indexing="ij")  # each [n, n], rows are y
    return np.stack([xs, ys], axis=-1).reshape(-1, 2)  # [n, n, 2] -> [n*n, 2]


def layer_point_grids(n_per_side: int, n_layers: int, downscale: int) -> list[np.ndarray]:
    """One unit-square grid per layer (``n_layers`` crop layers plus the full image); layer
    ``i`` has ``int(n_per_side / downscale**i)`` points per side."""
    return [point_grid(int(n_per_side / downscale**layer)) for layer in range(n_layers + 1)]


def _crop_length(full: int, n_crops: int, overlap: int) -> int:
    return math.ceil((overlap * (n_crops - 1) + full) / n_crops)


def crop_boxes(
    image_hw: tuple[int, int], n_layers: int, overlap_ratio: float
) -> tuple[list[list[int]], list[int]]:
    """Crop boxes ``[x0, y0, x1, y1]`` (pixels, end-exclusive) for every layer, and the layer
    index of each. The whole image comes first; within a layer, crops go column by column
    (x outer, y inner). Overlap shrinks with the number of crops in the layer."""
    height, width = image_hw
    boxes, layers = [[0, 0, width, height]], [0]
    short_side = min(height, width)
    for layer in range(1, n_layers + 1):
        per_side = 2**layer
        overlap = int(overlap_ratio * short_side * 2 / per_side)
        crop_w = _crop_length(width, per_side, overlap)
        crop_h = _crop_length(height, per_side, overlap)
        for col in range(per_side):
            x0 = int((crop_w - overlap) * col)
            for row in range(per_side):
                y0 = int((crop_h - overlap) * row)
                boxes.append([x0, y0, min(x0 + crop_w, width), min(y0 + crop_h, height)])
                layers.append(layer)
    return boxes, layers
