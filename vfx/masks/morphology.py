"""Shape operations on soft masks: grow, shrink, feather, fill holes, drop islands.

Every function takes an ``[H, W]`` float32 alpha in 0..1 and returns a new
``[H, W]`` float32 alpha; the input is never modified. They are the primitives
behind ``refine`` and behind the ``grow`` / ``shrink`` / ``feather`` functions of
the region language, so they are built to stay cheap at 1080p:

* grow and shrink are grey-level dilation and erosion by a disc. A large disc is
  applied as several small ones (the sum of discs is a disc), because OpenCV's
  cost grows with the kernel's area, and they run on uint8, which OpenCV
  vectorises far better than float32 (alpha keeps 1/255 steps, as in 8-bit
  compositing).
* feather is a Gaussian blur; wide ones run on a downscaled copy, which is an
  order of magnitude cheaper and visually identical for a smooth ramp.
* hole filling and island removal work on connected components inside the
  mask's bounding box only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

# The largest disc radius applied in one OpenCV call; larger radii are chained.
_MAX_STEP_RADIUS = 4
# Below this sigma a full-resolution Gaussian is cheap enough.
_DIRECT_SIGMA = 4.0
# Alpha at or above this counts as inside the object (core); below as outside.
CORE_LEVEL = 0.5
# Alpha at or below this counts as empty when finding a mask's support.
SUPPORT_LEVEL = 0.02


def to_uint8(alpha: np.ndarray) -> np.ndarray:
    """Quantise an ``[H, W]`` float alpha in 0..1 to uint8 0..255 (rounded, clipped)."""
    scaled = np.multiply(alpha, 255.0, dtype=np.float32)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    scaled += 0.5
    return scaled.astype(np.uint8)


def from_uint8(alpha: np.ndarray) -> np.ndarray:
    """Turn a uint8 alpha (any shape) back into float32 0..1."""
    return np.multiply(alpha, np.float32(1.0 / 255.0), dtype=np.float32)


def disc_kernel(radius: int) -> np.ndarray:
    """``[2r+1, 2r+1]`` uint8 elliptical structuring element of the given radius."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _disc_morphology(alpha: np.ndarray, px: float, op: int) -> np.ndarray:
    radius = round(px)
    if radius <= 0:
        return np.array(alpha, dtype=np.float32, copy=True)
    work = to_uint8(alpha)
    while radius > 0:
        step = min(radius, _MAX_STEP_RADIUS)
        work = cv2.morphologyEx(work, op, disc_kernel(step), borderType=cv2.BORDER_REPLICATE)
        radius -= step
    return from_uint8(work)


def grow_mask(alpha: np.ndarray, px: float) -> np.ndarray:
    """Grow (dilate) a soft mask by ``px`` pixels; a negative ``px`` shrinks it.

    Args:
        alpha: ``[H, W]`` float32 in 0..1.
        px: radius of the disc, rounded to whole pixels.

    Returns:
        ``[H, W]`` float32 in 0..1; the soft edge keeps its profile and moves out.
    """
    if px < 0:
        return shrink_mask(alpha, -px)
    return _disc_morphology(alpha, px, cv2.MORPH_DILATE)


def shrink_mask(alpha: np.ndarray, px: float) -> np.ndarray:
    """Shrink (erode) a soft mask by ``px`` pixels; a negative ``px`` grows it.

    Args:
        alpha: ``[H, W]`` float32 in 0..1.
        px: radius of the disc, rounded to whole pixels.

    Returns:
        ``[H, W]`` float32 in 0..1.
    """
    if px < 0:
        return grow_mask(alpha, -px)
    return _disc_morphology(alpha, px, cv2.MORPH_ERODE)


def feather_factor(px: float) -> int:
    """Downscale factor of :func:`feather_mask` for a feather of ``px`` pixels (1: none)."""
    sigma = px / 2.0
    return 1 if sigma <= _DIRECT_SIGMA else max(2, int(sigma / 2.0))


def feather_reach(px: float) -> int:
    """How far (pixels) beyond a mask's support :func:`feather_mask` can change values."""
    return math.ceil(3 * px / 2.0) + 2 * feather_factor(px)


def feather_mask(alpha: np.ndarray, px: float) -> np.ndarray:
    """Soften a mask's edge so that it fades over about ``px`` pixels on each side.

    A Gaussian blur with sigma ``px / 2``; sigmas above 4 px are computed on a
    copy downscaled so that the blur there is about 2 px wide, then upscaled.
    Only the mask's bounding box (plus the blur's reach) is processed.

    Args:
        alpha: ``[H, W]`` float32 in 0..1.
        px: feather width in pixels; 0 or less returns a copy.

    Returns:
        ``[H, W]`` float32 in 0..1.
    """
    src = np.asarray(alpha, dtype=np.float32)
    if px <= 0:
        return src.copy()
    sigma = px / 2.0
    factor = feather_factor(px)
    out = np.zeros_like(src)
    box = support_box(src > 0, margin=feather_reach(px))
    if box is None:
        return out
    y0, y1, x0, x1 = box
    y0, x0 = y0 - y0 % factor, x0 - x0 % factor  # keep the downscaling grid fixed
    region = src[y0:y1, x0:x1]
    if factor == 1:
        out[y0:y1, x0:x1] = cv2.GaussianBlur(region, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
        return out
    height, width = region.shape
    small = cv2.resize(
        region,
        (max(1, math.ceil(width / factor)), max(1, math.ceil(height / factor))),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REPLICATE)
    out[y0:y1, x0:x1] = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return out


def support_box(mask: np.ndarray, margin: int = 0) -> tuple[int, int, int, int] | None:
    """Bounding box ``(y0, y1, x0, x1)`` of the nonzero pixels of ``mask`` ``[H, W]``.

    The box is widened by ``margin`` pixels and clipped to the image; ``None``
    when ``mask`` has no nonzero pixel.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    return (
        max(0, int(rows[0]) - margin),
        min(height, int(rows[-1]) + 1 + margin),
        max(0, int(cols[0]) - margin),
        min(width, int(cols[-1]) + 1 + margin),
    )


def alpha_box(alpha: np.ndarray, level: float, margin: int = 0) -> tuple[int, int, int, int] | None:
    """Bounding box ``(y0, y1, x0, x1)`` of the pixels of ``alpha`` ``[H, W]`` above ``level``.

    Same as ``support_box(alpha > level, margin)``, without a full-size boolean
    temporary: rows are found from row maxima, columns only within those rows.
    """
    rows = np.flatnonzero(alpha.max(axis=1) > level)
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(alpha[top:bottom].max(axis=0) > level)
    height, width = alpha.shape
    return (
        max(0, top - margin),
        min(height, bottom + margin),
        max(0, int(cols[0]) - margin),
        min(width, int(cols[-1]) + 1 + margin),
    )


def _output_and_box(
    alpha: np.ndarray,
    active: bool,
    inplace: bool,
    inside: Callable[[np.ndarray], np.ndarray],
    margin: int = 0,
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The array a clean-up writes into and the box it works in.

    The array is ``alpha`` itself with ``inplace``, else a float32 copy; the
    box is :func:`support_box` of ``inside(array)`` (``[H, W]`` bool) widened by
    ``margin``, ``None`` when the clean-up is not ``active`` or nothing is inside.
    """
    out = alpha if inplace else np.array(alpha, dtype=np.float32, copy=True)
    return out, (support_box(inside(out), margin) if active else None)


def fill_holes(alpha: np.ndarray, max_area: int, *, inplace: bool = False) -> np.ndarray:
    """Fill holes of at most ``max_area`` pixels inside a soft mask.

    A hole is a 4-connected region of outside pixels (alpha below 0.5) that does
    not reach the image border; filled holes become 1, together with their soft
    rim (2 px), so no ring is left. Larger holes are kept.

    Args:
        alpha: ``[H, W]`` float32 in 0..1.
        max_area: largest hole, in pixels, that is filled; 0 fills nothing.
        inplace: change ``alpha`` itself (it must then be float32) instead of a copy.

    Returns:
        ``[H, W]`` float32 in 0..1 (``alpha`` itself with ``inplace``).
    """
    # Outside the core's box (widened by one pixel) everything is connected to
    # the border, so the search can stay inside that box.
    out, box = _output_and_box(alpha, max_area > 0, inplace, lambda a: a >= CORE_LEVEL, 1)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    outside = (out[y0:y1, x0:x1] < CORE_LEVEL).view(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(outside, connectivity=4)
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = left + stats[:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    touches_edge = (left == 0) | (top == 0) | (right == x1 - x0) | (bottom == y1 - y0)
    is_hole = (stats[:, cv2.CC_STAT_AREA] <= max_area) & ~touches_edge
    is_hole[0] = False  # label 0 is the core itself
    if count <= 1 or not is_hole.any():
        return out
    holes = is_hole[labels].view(np.uint8)
    holes = cv2.dilate(holes, disc_kernel(2))
    region = out[y0:y1, x0:x1]
    np.maximum(region, holes.astype(np.float32), out=region)
    return out


def remove_islands(alpha: np.ndarray, min_area: int, *, inplace: bool = False) -> np.ndarray:
    """Remove separate blobs whose core is smaller than ``min_area`` pixels.

    Blobs are the 8-connected parts of the mask's support (alpha above 0.02), so
    an island goes together with its soft fringe; a blob's size is the number of
    its pixels at or above 0.5.

    Args:
        alpha: ``[H, W]`` float32 in 0..1.
        min_area: smallest core area, in pixels, that is kept; 0 keeps all.
        inplace: change ``alpha`` itself (it must then be float32) instead of a copy.

    Returns:
        ``[H, W]`` float32 in 0..1 (``alpha`` itself with ``inplace``).
    """
    out, box = _output_and_box(alpha, min_area > 0, inplace, lambda a: a > SUPPORT_LEVEL)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    region = out[y0:y1, x0:x1]
    support = (region > SUPPORT_LEVEL).view(np.uint8)
    count, labels = cv2.connectedComponents(support, connectivity=8)
    core_area = np.bincount(labels[region >= CORE_LEVEL], minlength=count)
    drop = core_area < min_area
    drop[0] = False  # background
    if drop.any():
        region[drop[labels]] = 0.0
    return out
