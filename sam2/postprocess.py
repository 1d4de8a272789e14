"""Mask post-processing on any device: find small connected regions, fill small holes.

The official package does this with an optional CUDA extension and silently skips it
elsewhere; here connected components (8-connectivity) come from OpenCV on the CPU, so results
are the same on every device.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch


def component_areas(mask: np.ndarray) -> np.ndarray:
    """For a ``[H, W]`` bool mask, the area of each True pixel's 8-connected component
    (``int64 [H, W]``, 0 on False pixels)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    areas[0] = 0  # label 0 is the False region
    return areas[labels]


def small_regions(region: torch.Tensor, max_area: float) -> torch.Tensor:
    """Bool ``[..., H, W]``: pixels of ``region`` whose component has area <= ``max_area``."""
    planes = region.detach().cpu().numpy().reshape(-1, *region.shape[-2:])  # [N, H, W]
    small = np.stack([(a > 0) & (a <= max_area) for a in map(component_areas, planes)])
    return torch.from_numpy(small).reshape(region.shape).to(region.device)


def fill_holes(
    mask_logits: torch.Tensor, max_area: float, threshold: float = 0.0, fill_value: float = 0.1
) -> torch.Tensor:
    """Set background components (logits <= ``threshold``) of area <= ``max_area`` to
    ``fill_value``. ``mask_logits [..., H, W]``; returns a new tensor (the input is unchanged).

    Defaults match the video predictor's ``fill_hole_area`` post-processing.
    """
    if max_area <= 0:
        return mask_logits
    holes = small_regions(mask_logits <= threshold, max_area)
    return torch.where(holes, torch.as_tensor(fill_value, dtype=mask_logits.dtype), mask_logits)
