"""Fast image kernels shared by several effects.

Large blurs run on a downscaled copy: a Gaussian of sigma 25 at 1080p costs
about 160 ms directly and a few ms as downscale -> blur -> upscale, and the
result stays within a few 8-bit levels of the exact one.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vfx.masks.morphology import grow_mask, shrink_mask

BLUR_KINDS: tuple[str, ...] = ("gaussian", "box", "lens")
STROKE_POSITIONS: tuple[str, ...] = ("outside", "inside", "center")

# A blur this wide or narrower (in pixels) runs at full resolution; wider ones
# are halved until the remaining radius is below twice this size.
_DIRECT_RADIUS = 3.0
# Below this much mask weight within reach, a masked blur falls back to the plain one.
_REACH = 1e-3


def blur(
    image: np.ndarray, radius: float, kind: str = "gaussian", out: np.ndarray | None = None
) -> np.ndarray:
    """Blur ``image`` (``[H, W]`` or ``[H, W, C]``, uint8 or float32) by ``radius`` pixels.

    ``gaussian`` uses sigma = radius / 2; ``box`` averages a square of side
    2 * radius + 1; ``lens`` averages a disc of that radius (a bokeh-like look).
    Wide blurs run on a copy shrunk by halving (exact 2x2 means, which OpenCV
    does far faster than an arbitrary-ratio area resize) and are scaled back up
    bilinearly. Returns an array of the same shape and dtype: ``out`` when given
    (it must have that shape and dtype), else a new one.
    """
    if radius <= 0:
        return _deliver(image, out)
    height, width = image.shape[:2]
    work = image
    while radius / 2.0 >= _DIRECT_RADIUS and min(work.shape[:2]) >= 8:
        work = halve(work)
        radius /= 2.0
    if work.shape[:2] != (height, width):
        work = _blur_direct(work, radius, kind)
        return cv2.resize(work, (width, height), dst=out, interpolation=cv2.INTER_LINEAR)
    return _deliver(_blur_direct(work, radius, kind), out, fresh=True)


def blur_box(
    image: np.ndarray, radius: float, box: tuple[int, int, int, int], kind: str = "gaussian"
) -> np.ndarray:
    """``blur(image, radius, kind)`` inside ``box`` ``(x0, y0, x1, y1)`` only.

    Blurs a crop around the box with room for the kernel's reach, cut on the
    halving grid, so the values equal the whole-frame blur when the frame's
    sides are multiples of the halving steps (else they differ by resampling
    rounding, about 1e-3 of full scale). Returns ``[y1 - y0, x1 - x0]`` (plus
    the channel axis of ``image``).
    """
    height, width = image.shape[:2]
    x0, y0, x1, y1 = box
    step = 1
    while radius / step / 2.0 >= _DIRECT_RADIUS:
        step *= 2
    # A Gaussian reaches 4 sigma = 2 * radius; halving and upscaling add a step each.
    margin = math.ceil(2 * radius) + 2 * step
    cx0, cy0 = max(0, x0 - margin) // step * step, max(0, y0 - margin) // step * step
    cx1 = min(width, -(-(x1 + margin) // step) * step)
    cy1 = min(height, -(-(y1 + margin) // step) * step)
    return blur(image[cy0:cy1, cx0:cx1], radius, kind)[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0]


def blur_within(
    image: np.ndarray,
    mask: np.ndarray,
    radius: float,
    kind: str = "gaussian",
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Blur ``image`` ``[H, W, C]`` uint8 using only the pixels where ``mask`` ``[H, W]`` is on.

    A normalised convolution: ``blur(image * mask) / blur(mask)``. Blurring the
    background behind a subject this way keeps the subject's colours from
    smearing into a halo around it. Where the mask has no pixels within reach
    the plain blur is used. Returns ``[H, W, C]`` uint8: ``out`` when given.
    """
    if radius <= 0:
        return _deliver(image, out)
    height, width = image.shape[:2]
    work, weight = image, mask
    while radius / 2.0 >= _DIRECT_RADIUS and min(work.shape[:2]) >= 8:
        work, weight = halve(work), halve(weight)
        radius /= 2.0
    channels = work.shape[2]
    # Per-pixel weights repeated per channel: OpenCV's arithmetic is several times
    # faster than numpy's broadcasting over a 3-long last axis.
    weighted = cv2.multiply(work, cv2.merge([weight] * channels), dtype=cv2.CV_32F)
    total = _blur_direct(weight, radius, kind)  # [h, w]
    spread = _blur_direct(weighted, radius, kind)  # [h, w, C]
    spread = cv2.divide(spread, cv2.merge([np.maximum(total, _REACH)] * channels), dst=spread)
    blurred = cv2.convertScaleAbs(spread)  # rounded and saturated to uint8
    unreached = total < _REACH
    if unreached.any():
        np.copyto(blurred, _blur_direct(work, radius, kind), where=unreached[..., None])
    if blurred.shape[:2] != (height, width):
        return cv2.resize(blurred, (width, height), dst=out, interpolation=cv2.INTER_LINEAR)
    return _deliver(blurred, out, fresh=True)


def _deliver(image: np.ndarray, out: np.ndarray | None, fresh: bool = False) -> np.ndarray:
    """``image`` copied into ``out``; without ``out``, ``image`` itself if it is ``fresh``
    (made by the caller), else a copy."""
    if out is None:
        return image if fresh else image.copy()
    out[...] = image
    return out


def halve(image: np.ndarray) -> np.ndarray:
    """``image`` at half the size (rounded up), each pixel the mean of a 2x2 block."""
    height, width = image.shape[:2]
    return cv2.resize(image, ((width + 1) // 2, (height + 1) // 2), interpolation=cv2.INTER_AREA)


def _blur_direct(image: np.ndarray, radius: float, kind: str) -> np.ndarray:
    if kind == "gaussian":
        return cv2.GaussianBlur(image, (0, 0), sigmaX=max(radius / 2.0, 0.1))
    size = 2 * round(radius) + 1
    if kind == "box":
        return cv2.blur(image, (size, size), borderType=cv2.BORDER_REFLECT)
    if kind == "lens":
        return cv2.filter2D(image, -1, _disc_kernel(round(radius)), borderType=cv2.BORDER_REFLECT)
    raise ValueError(f"unknown blur kind {kind!r}; use one of {', '.join(BLUR_KINDS)}")


def _disc_kernel(radius: int) -> np.ndarray:
    """``[2r+1, 2r+1]`` float32 disc with anti-aliased rim, summing to 1."""
    coords = np.arange(-radius, radius + 1, dtype=np.float32)
    distance = np.hypot(coords[None, :], coords[:, None])  # [2r+1, 2r+1]
    kernel = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    return kernel / kernel.sum()


def fit_image(
    image: np.ndarray, size: tuple[int, int], fit: str, fill: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """Fit ``image`` ``[h, w, 3]`` into ``size`` ``(width, height)``.

    ``cover`` scales to fill and crops the centre, ``contain`` scales to fit and
    pads with ``fill``, ``stretch`` ignores the aspect ratio.
    """
    width, height = size
    src_h, src_w = image.shape[:2]
    if (src_w, src_h) == (width, height):
        return image
    if fit == "stretch":
        return cv2.resize(image, (width, height), interpolation=_interp(src_w, width))
    if fit == "cover":
        scale = max(width / src_w, height / src_h)
    else:
        scale = min(width / src_w, height / src_h)
    new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
    scaled = cv2.resize(image, (new_w, new_h), interpolation=_interp(src_w, new_w))
    if fit == "cover":
        x0, y0 = (new_w - width) // 2, (new_h - height) // 2
        return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = fill
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = scaled
    return canvas


def _interp(src: int, dst: int) -> int:
    return cv2.INTER_AREA if dst < src else cv2.INTER_LINEAR


def stroke_band(alpha: np.ndarray, width: float, position: str) -> np.ndarray:
    """``[H, W]`` float32 band of ``width`` pixels along the edge of ``alpha`` ``[H, W]``.

    ``outside`` lies just outside the mask, ``inside`` just inside it, ``center``
    straddles the edge.
    """
    if position == "outside":
        return cv2.subtract(grow_mask(alpha, width), alpha)
    if position == "inside":
        return cv2.subtract(alpha, shrink_mask(alpha, width))
    half = width / 2.0
    return cv2.subtract(grow_mask(alpha, half), shrink_mask(alpha, half))
