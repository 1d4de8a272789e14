"""Refinement of one soft mask: clean its shape, then make its edge follow the image.

``refine`` chains the steps of :class:`RefineSettings` (fill holes, remove
islands, grow/shrink, guided filter, feather). All of them run in the one box
that the mask can reach through the chain, so the cost follows the object's
size, not the frame's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vfx.errors import VfxError
from vfx.masks.guided_filter import guided_filter
from vfx.masks.morphology import (
    SUPPORT_LEVEL,
    alpha_box,
    feather_factor,
    feather_mask,
    feather_reach,
    fill_holes,
    grow_mask,
    remove_islands,
    support_box,
)
from vfx.masks.settings import RefineSettings

# The automatic guided-filter subsampling brings the short side near this size.
_GUIDED_SHORT_SIDE = 270


def auto_subsample(height: int, width: int, radius: int) -> int:
    """Subsampling of the fast guided filter: short side near 270 px, at most ``radius``."""
    return max(1, min(radius, round(min(height, width) / _GUIDED_SHORT_SIDE)))


def guided_refine(
    alpha: np.ndarray, frame: np.ndarray, radius: int, eps: float, subsample: int = 0
) -> np.ndarray:
    """Edge-aware soft alpha: the guided filter of ``alpha`` with the frame as guide.

    Args:
        alpha: ``[H, W]`` float32 in 0..1.
        frame: ``[H, W, 3]`` uint8 RGB frame.
        radius, eps: guided-filter window radius (px) and regularisation.
        subsample: fast-filter factor; 0 picks :func:`auto_subsample`.

    Returns:
        ``[H, W]`` float32 in 0..1; zero farther than about ``2 * radius`` from the mask.
    """
    height, width = alpha.shape
    step = subsample or auto_subsample(height, width, radius)
    box = support_box(alpha > SUPPORT_LEVEL, margin=2 * radius + 2 * step)
    out = np.zeros((height, width), np.float32)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    # Align the box to the subsampling grid so the result does not depend on it,
    # and make it whole cells where the image allows (area downscaling is faster).
    y0, x0 = y0 - y0 % step, x0 - x0 % step
    y1, x1 = min(height, y1 + (y0 - y1) % step), min(width, x1 + (x0 - x1) % step)
    result = guided_filter(frame[y0:y1, x0:x1], alpha[y0:y1, x0:x1], radius, eps, step)
    np.clip(result, 0.0, 1.0, out=out[y0:y1, x0:x1])
    return out


def refine(alpha: np.ndarray, frame: np.ndarray | None = None, **settings: Any) -> np.ndarray:
    """Refine one soft mask.

    Args:
        alpha: ``[H, W]`` float32 in 0..1 (not modified).
        frame: ``[H, W, 3]`` uint8 RGB frame; needed only for ``guided_radius``.
        **settings: :class:`RefineSettings` fields (or ``settings=RefineSettings(...)``).

    Returns:
        ``[H, W]`` float32 in 0..1.
    """
    given = settings.pop("settings", None)
    config = given if isinstance(given, RefineSettings) else RefineSettings.from_dict(settings)
    src = np.asarray(alpha, dtype=np.float32)
    if src.ndim != 2:
        raise VfxError(f"refine expects one [H, W] mask, got shape {src.shape}")
    if config.is_identity:
        return src.copy()
    height, width = src.shape
    subsample, align = 1, 1
    reach = max(0, round(config.grow - config.shrink)) + 2
    if config.guided_radius > 0:
        if frame is None:
            raise VfxError(
                "refine guided_radius needs the video frame; pass frame= or set guided_radius to 0"
            )
        if frame.shape[:2] != src.shape:
            raise VfxError(f"frame of shape {frame.shape} does not match the mask's {src.shape}")
        subsample = config.guided_subsample or auto_subsample(height, width, config.guided_radius)
        reach += 2 * config.guided_radius + 2 * subsample
        align = subsample
    if config.feather > 0:
        align = math.lcm(align, feather_factor(config.feather))
        reach += feather_reach(config.feather)
    out = np.zeros((height, width), np.float32)
    box = alpha_box(src, 0.0, margin=reach + align)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    # The box starts on the subsampling grids, so the result does not depend on it.
    y0, x0 = y0 - y0 % align, x0 - x0 % align
    crop = None if frame is None else frame[y0:y1, x0:x1]
    region = _refine_region(src[y0:y1, x0:x1].copy(), crop, config, subsample)
    out[y0:y1, x0:x1] = region
    return out


def _refine_region(
    alpha: np.ndarray, frame: np.ndarray | None, config: RefineSettings, subsample: int
) -> np.ndarray:
    """The steps of ``config`` on an ``[h, w]`` crop (changed in place) that holds all they reach.

    ``subsample`` is the guided filter's, chosen for the whole frame.
    """
    fill_holes(alpha, config.fill_holes, inplace=True)
    remove_islands(alpha, config.remove_islands, inplace=True)
    if config.grow != config.shrink:
        alpha = grow_mask(alpha, config.grow - config.shrink)
    if config.guided_radius > 0 and frame is not None:
        alpha = guided_refine(alpha, frame, config.guided_radius, config.guided_eps, subsample)
    return feather_mask(alpha, config.feather) if config.feather > 0 else alpha
