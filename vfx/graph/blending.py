"""Blend modes and weighted mixing on uint8 frames.

All arithmetic stays in uint8/float32 OpenCV kernels: ``cv2.blendLinear`` for
weighted mixing (several times faster than a float numpy blend at 1080p) and
saturating ``cv2`` arithmetic for the blend modes. For 8-bit values ``a`` (the
running frame) and ``b`` (the layer), rounded to the nearest integer:

- normal:   ``b``
- multiply: ``a * b / 255``
- screen:   ``255 - (255 - a) * (255 - b) / 255``
- add:      ``min(a + b, 255)``
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from vfx.errors import VfxError

if TYPE_CHECKING:
    from effects.base import EffectOutput

BLEND_MODES: tuple[str, ...] = ("normal", "multiply", "screen", "add")


def check_blend(mode: str) -> str:
    """``mode`` if it is a known blend mode, else a VfxError listing the modes."""
    if mode not in BLEND_MODES:
        raise VfxError(f"unknown blend mode {mode!r}; use one of {', '.join(BLEND_MODES)}")
    return mode


def blend_pixels(base: np.ndarray, top: np.ndarray, mode: str) -> np.ndarray:
    """Blend ``top`` onto ``base`` (both ``[H, W, C]`` uint8) at full strength."""
    if mode == "normal":
        return top
    if mode == "multiply":
        return cv2.multiply(base, top, scale=1.0 / 255.0)
    if mode == "screen":
        return cv2.bitwise_not(
            cv2.multiply(cv2.bitwise_not(base), cv2.bitwise_not(top), scale=1.0 / 255.0)
        )
    if mode == "add":
        return cv2.add(base, top)
    raise VfxError(f"unknown blend mode {mode!r}; use one of {', '.join(BLEND_MODES)}")


def mix(
    base: np.ndarray, top: np.ndarray, weight: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """``base * (1 - weight) + top * weight``, rounded; uint8 ``[H, W]`` or ``[H, W, C]``.

    ``weight`` is ``[H, W]`` float32 in 0..1. ``out`` may be ``base`` (in place).
    """
    inverse = cv2.subtract(1.0, weight)
    # blendLinear divides by (w1 + w2 + 1e-5); with w1 + w2 = 1 that shrinks a
    # 255 by 0.003, which the rounding absorbs.
    return cv2.blendLinear(top, base, weight, inverse, dst=out)


def composite(
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    painted: EffectOutput,
    *,
    blend: str,
    opacity: float,
    in_place: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Put one effect's output over the running frame; returns ``(rgb, alpha)``.

    ``rgb``: ``[H, W, 3]`` uint8; ``alpha``: ``[H, W]`` uint8 straight alpha, or None
    while the frame is opaque (it becomes an array once an effect sets opacity).
    The effect's image is blended by ``blend`` and mixed in by its weight times
    ``opacity``. With ``in_place`` the result is written into ``rgb``/``alpha``.
    """
    weight = painted.weight
    if opacity < 1.0:
        weight = cv2.multiply(weight, float(opacity))
    if painted.image is not None:
        top = blend_pixels(rgb, painted.image, blend)
        rgb = mix(rgb, top, weight, out=rgb if in_place else None)
    if painted.opacity is not None:
        if alpha is None:
            alpha = np.full(rgb.shape[:2], 255, np.uint8)
            in_place = True
        target = painted.opacity
        if not isinstance(target, np.ndarray):
            target = np.full(rgb.shape[:2], int(target), np.uint8)
        alpha = mix(alpha, target, weight, out=alpha if in_place else None)
    return rgb, alpha
