"""Test images for the SAM 2 parity tests, made in code."""

from __future__ import annotations

import numpy as np


def shapes_on_noise(
    seed: int, box: tuple[int, int, int, int], disc: tuple[int, int, int]
) -> np.ndarray:
    """A 240x320 RGB frame ``[240, 320, 3]`` uint8: seeded noise with a solid yellow box
    ``(y0, y1, x0, x1)`` and a solid blue disc ``(cy, cx, radius)``, so masks have shapes to
    find and the resize to the model's input is exercised."""
    rng = np.random.default_rng(seed)
    image = (rng.random((240, 320, 3)) * 80 + 30).astype(np.uint8)
    y0, y1, x0, x1 = box
    image[y0:y1, x0:x1] = (220, 190, 60)
    cy, cx, radius = disc
    yy, xx = np.mgrid[:240, :320]
    image[(yy - cy) ** 2 + (xx - cx) ** 2 < radius**2] = (30, 60, 200)
    return image
