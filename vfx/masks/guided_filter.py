"""Guided filter (He, Sun and Tang): an edge-aware smoothing that makes a mask follow the image.

The output is locally an affine function of the guide image, ``q = a * I + b``
in every ``(2r+1)``-square window, fitted to the input mask by least squares
with a ridge ``eps``; so a rough mask edge snaps to the colour edge under it
and soft structures (hair, motion blur) become soft alpha. With a colour guide
``a`` is a 3-vector, solved per pixel from the guide's 3x3 colour covariance.

The fast variant computes ``a`` and ``b`` on copies downscaled by ``subsample``
and applies them to the full-resolution guide, which costs ``1 / subsample**2``
of the work and loses little, because ``a`` and ``b`` are smooth.

Window means are taken over the part of the window inside the image (the sum
divided by the number of pixels), with OpenCV box filters, since the contrib
module's guided filter is not in the headless wheel.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the ``(2r+1)``-square window clipped to the image; ``[h, w(, c)]`` float32."""
    size = (2 * radius + 1, 2 * radius + 1)
    total = cv2.boxFilter(image, -1, size, normalize=False, borderType=cv2.BORDER_CONSTANT)
    ones = np.ones(image.shape[:2], np.float32)
    count = cv2.boxFilter(ones, -1, size, normalize=False, borderType=cv2.BORDER_CONSTANT)
    return total / (count[..., None] if image.ndim == 3 else count)


def _coefficients_grey(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Window-averaged ``(a, b)`` as ``[h, w, 2]`` for an ``[h, w]`` guide."""
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(src, radius)
    cov_ip = box_mean(guide * src, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + np.float32(eps))
    b = mean_p - a * mean_i
    return box_mean(np.dstack([a, b]), radius)


def _coefficients_colour(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Window-averaged ``(a_r, a_g, a_b, b)`` as ``[h, w, 4]`` for an ``[h, w, 3]`` guide."""
    r, g, b = cv2.split(guide)
    mean_i = box_mean(guide, radius)  # [h, w, 3]
    mean_p = box_mean(src, radius)
    mean_ip = box_mean(guide * src[..., None], radius)  # [h, w, 3]
    cov_ip = [mean_ip[..., c] - mean_i[..., c] * mean_p for c in range(3)]
    # The six distinct entries of each pixel's colour covariance, [h, w, 6].
    products = box_mean(np.dstack([r * r, r * g, r * b, g * g, g * b, b * b]), radius)
    mr, mg, mb = (mean_i[..., c] for c in range(3))
    s_rr = products[..., 0] - mr * mr + np.float32(eps)
    s_rg = products[..., 1] - mr * mg
    s_rb = products[..., 2] - mr * mb
    s_gg = products[..., 3] - mg * mg + np.float32(eps)
    s_gb = products[..., 4] - mg * mb
    s_bb = products[..., 5] - mb * mb + np.float32(eps)
    # Inverse of the symmetric 3x3 matrix through its adjugate.
    inv_rr = s_gg * s_bb - s_gb * s_gb
    inv_rg = s_rb * s_gb - s_rg * s_bb
    inv_rb = s_rg * s_gb - s_rb * s_gg
    inv_gg = s_rr * s_bb - s_rb * s_rb
    inv_gb = s_rg * s_rb - s_rr * s_gb
    inv_bb = s_rr * s_gg - s_rg * s_rg
    det = s_rr * inv_rr + s_rg * inv_rg + s_rb * inv_rb
    a_r = (inv_rr * cov_ip[0] + inv_rg * cov_ip[1] + inv_rb * cov_ip[2]) / det
    a_g = (inv_rg * cov_ip[0] + inv_gg * cov_ip[1] + inv_gb * cov_ip[2]) / det
    a_b = (inv_rb * cov_ip[0] + inv_gb * cov_ip[1] + inv_bb * cov_ip[2]) / det
    offset = mean_p - a_r * mr - a_g * mg - a_b * mb
    return box_mean(np.dstack([a_r, a_g, a_b, offset]), radius)


def guided_filter(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float, subsample: int = 1
) -> np.ndarray:
    """Filter ``src`` with the edges of ``guide``.

    Args:
        guide: ``[H, W]`` or ``[H, W, 3]`` image: float32 in 0..1, or uint8 in
            0..255 (read as value / 255 without a full-size float copy).
        src: ``[H, W]`` float32 to filter (a soft mask).
        radius: window radius in full-resolution pixels.
        eps: regularisation; larger values smooth more across weak edges
            (for a guide in 0..1, 1e-4 follows fine edges, 1e-2 only strong ones).
        subsample: compute the coefficients at ``1 / subsample`` resolution
            (the fast guided filter); 1 is the exact filter.

    Returns:
        ``[H, W]`` float32, not clipped.
    """
    guide = np.asarray(guide)
    scale = np.float32(1.0 / 255.0 if guide.dtype == np.uint8 else 1.0)
    src = np.asarray(src, dtype=np.float32)
    height, width = src.shape
    if subsample > 1:
        small = (max(1, math.ceil(width / subsample)), max(1, math.ceil(height / subsample)))
        guide_small = cv2.resize(guide, small, interpolation=cv2.INTER_AREA)
        src_small = cv2.resize(src, small, interpolation=cv2.INTER_AREA)
        radius_small = max(1, round(radius / subsample))
    else:
        guide_small, src_small, radius_small = guide, src, radius
    guide_small = np.multiply(guide_small, scale, dtype=np.float32)
    if guide.ndim == 2:
        coeffs = _coefficients_grey(guide_small, src_small, radius_small, eps)
    else:
        coeffs = _coefficients_colour(guide_small, src_small, radius_small, eps)
    if subsample > 1:
        coeffs = cv2.resize(coeffs, (width, height), interpolation=cv2.INTER_LINEAR)
    planes = [guide] if guide.ndim == 2 else cv2.split(guide)
    out = coeffs[..., len(planes)].copy()
    for channel, plane in enumerate(planes):
        # The guide's scale goes into the coefficient: uint8 planes stay uint8.
        out += (coeffs[..., channel] * scale) * plane
    return out
