"""Chroma keying: soft alpha from how far each pixel's colour is from the key colour.

Distances are measured in the chroma plane of YCbCr (BT.601), so brightness
changes across an unevenly lit screen matter little, and they are expressed as
a fraction of the key colour's own saturation (its chroma distance from gray):
0 is the key colour itself, 1 is as far from it as a neutral gray. A pixel
closer than ``tolerance`` is background (alpha 0), one farther than
``tolerance + softness`` is foreground (alpha 1), with a linear ramp between.

Spill (key-coloured light on the subject and key colour mixed into its edges)
is removed by :func:`despill`, which takes away the part of a pixel's chroma
that points towards the key colour and keeps its luma.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.masks.morphology import support_box

KEY_COLORS: dict[str, tuple[int, int, int]] = {"green": (0, 177, 64), "blue": (0, 71, 187)}
"""Named key colours: the usual chroma-key green and blue paints (RGB)."""

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
# A key colour needs at least this much chroma (0..~180 scale) to be told apart from gray.
_MIN_KEY_CHROMA = 20.0


def parse_chroma_color(text: str) -> tuple[int, int, int]:
    """``"green"``, ``"blue"`` or ``"#RRGGBB"`` -> ``(r, g, b)``; VfxError otherwise."""
    name = text.strip().lower()
    if name in KEY_COLORS:
        return KEY_COLORS[name]
    match = _HEX.match(name)
    if match is None:
        raise VfxError(f"unknown key colour {text!r}; use green, blue or #RRGGBB (e.g. #00b140)")
    value = match.group(1)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _to_ycrcb(rgb: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` (or ``[3]``) uint8 RGB -> same-shape uint8 (Y, Cr, Cb), BT.601 full range."""
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim == 1:
        pixel = image.reshape(1, 1, 3)  # [3] -> [1, 1, 3]
        return cv2.cvtColor(pixel, cv2.COLOR_RGB2YCrCb).reshape(3)  # [1, 1, 3] -> [3]
    return cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)


def _key_chroma(color: tuple[int, int, int]) -> tuple[float, float, float]:
    """``(cb, cr, saturation)`` of the key colour, chroma centred on 0."""
    _, cr, cb = (float(v) - 128.0 for v in _to_ycrcb(np.array(color, np.uint8)))
    return cb, cr, float(np.hypot(cb, cr))


def key_alpha(
    frame: np.ndarray, color: tuple[int, int, int], tolerance: float, softness: float
) -> np.ndarray:
    """Foreground alpha of ``frame`` keyed against ``color``.

    Args:
        frame: ``[H, W, 3]`` uint8 RGB.
        color: key colour ``(r, g, b)``.
        tolerance: chroma distance (fraction of the key's saturation) still keyed out fully.
        softness: width of the ramp from transparent to opaque, same units.

    Returns:
        ``[H, W]`` float32 alpha, 1 where the pixel is not the key colour.
    """
    key_cb, key_cr, saturation = _key_chroma(color)
    ycrcb = _to_ycrcb(frame)
    d_cb = ycrcb[..., 2].astype(np.float32) - np.float32(128.0 + key_cb)
    d_cr = ycrcb[..., 1].astype(np.float32) - np.float32(128.0 + key_cr)
    distance = cv2.magnitude(d_cb, d_cr)
    if softness <= 0:
        return (distance > tolerance * saturation).astype(np.float32)
    distance -= np.float32(tolerance * saturation)
    alpha = distance * np.float32(1.0 / (softness * saturation))
    return np.clip(alpha, 0.0, 1.0, out=alpha)


def despill(
    frame: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int], strength: float = 1.0
) -> np.ndarray:
    """Remove key-colour spill from the visible part of a frame.

    For every pixel with ``alpha > 0`` the component of its chroma that points
    towards the key colour is scaled down by ``strength`` (1 removes it); luma
    and chroma in other directions are kept, so skin, red or yellow stay as they
    are while green fringes turn neutral. Pixels with ``alpha == 0`` (the screen
    itself) are returned unchanged.

    Args:
        frame: ``[H, W, 3]`` uint8 RGB.
        alpha: ``[H, W]`` float32 0..1 foreground alpha.
        color: key colour ``(r, g, b)``.
        strength: 0..1, how much of the spill to remove.

    Returns:
        a new ``[H, W, 3]`` uint8 RGB frame.
    """
    out = np.array(frame, dtype=np.uint8, copy=True)
    box = support_box(alpha)
    if box is None:
        return out
    y0, y1, x0, x1 = box  # only the visible part needs work
    out[y0:y1, x0:x1] = _despill_region(frame[y0:y1, x0:x1], alpha[y0:y1, x0:x1], color, strength)
    return out


def _despill_region(
    frame: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int], strength: float
) -> np.ndarray:
    key_cb, key_cr, saturation = _key_chroma(color)
    dir_cb, dir_cr = np.float32(key_cb / saturation), np.float32(key_cr / saturation)
    ycrcb = _to_ycrcb(frame)
    cb = ycrcb[..., 2].astype(np.float32) - np.float32(128.0)
    cr = ycrcb[..., 1].astype(np.float32) - np.float32(128.0)
    toward_key = cb * dir_cb + cr * dir_cr
    toward_key *= np.float32(strength)
    toward_key[(toward_key < 0.5) | (alpha <= 0)] = 0.0  # sub-level shifts would only add rounding
    cleaned = ycrcb.copy()
    # cv2.convertScaleAbs rounds and saturates to uint8; both values stay >= 0 here
    cleaned[..., 2] = cv2.convertScaleAbs(np.maximum(cb - toward_key * dir_cb + 128.0, 0.0))
    cleaned[..., 1] = cv2.convertScaleAbs(np.maximum(cr - toward_key * dir_cr + 128.0, 0.0))
    converted = cv2.cvtColor(cleaned, cv2.COLOR_YCrCb2RGB)
    out = np.array(frame, dtype=np.uint8, copy=True)
    np.copyto(out, converted, where=(toward_key > 0)[..., None])  # [H, W] -> [H, W, 1]
    return out


class ChromaKeySource:
    """A :class:`~vfx.sources.base.MaskSource` that keys every frame it is given.

    Object 1 ("foreground") is everything that is not the key colour. The source
    has no length of its own (``frame_count`` is ``None``) and needs the frame's
    pixels in :meth:`masks_at`.

    Args:
        color: ``"green"``, ``"blue"`` or ``"#RRGGBB"``.
        tolerance: see :func:`key_alpha` (default 0.4).
        softness: see :func:`key_alpha` (default 0.3).
        spill: despill strength 0..1 for :meth:`despill` (default 1; 0 disables).
    """

    def __init__(
        self,
        color: str = "green",
        tolerance: float = 0.4,
        softness: float = 0.3,
        spill: float = 1.0,
    ) -> None:
        self.key = parse_chroma_color(color)
        if tolerance < 0 or softness < 0:
            raise VfxError(
                f"chroma tolerance and softness must be >= 0, got {tolerance} and {softness}; "
                "try tolerance 0.4 and softness 0.3"
            )
        if not 0.0 <= spill <= 1.0:
            raise VfxError(f"chroma spill must be between 0 and 1, got {spill}; try 1 or 0.5")
        if _key_chroma(self.key)[2] < _MIN_KEY_CHROMA:
            raise VfxError(
                f"key colour {color} is too close to gray to key on; pick a saturated colour"
            )
        self.color = color
        self.tolerance = float(tolerance)
        self.softness = float(softness)
        self.spill = float(spill)
        self.object_ids = [1]
        self.names = {1: "foreground"}
        self.frame_count: int | None = None

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """``{1: [H, W] float32 alpha}`` keyed from ``frame`` (``[H, W, 3]`` uint8, required)."""
        if frame is None:
            raise ValueError("ChromaKeySource.masks_at needs the frame's pixels")
        return {1: key_alpha(frame, self.key, self.tolerance, self.softness)}

    def despill(self, frame: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """:func:`despill` with this source's key colour and spill strength."""
        if self.spill <= 0:
            return frame
        return despill(frame, alpha, self.key, self.spill)
