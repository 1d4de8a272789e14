"""``recolor``: colour grading of the region, from desaturation to ``.cube`` LUTs."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.base import Effect, EffectContext, EffectOutput, scratch
from effects.core.cube_lut import apply_dense, cached_dense_table
from effects.core.params import param
from effects.core.registry import register

# Full-scale temperature/tint move a channel's gain by this much.
_WHITE_BALANCE_RANGE = 0.25


@register
@dataclass(frozen=True)
class Recolor(Effect):
    """Grade the colours of the region; with no parameters it desaturates (black and white).

    Order: per-channel gains (temperature, tint), contrast and brightness; then
    saturation and hue; then the LUT, mixed in by ``lut_strength``.
    """

    name = "recolor"
    pointwise = True

    saturation: float = param(
        0.0, "Saturation multiplier: 0 = greyscale, 1 = unchanged.", low=0, high=4
    )
    hue: float = param(0.0, "Hue rotation in degrees.", low=-180, high=180)
    brightness: float = param(0.0, "Added brightness, -1..1 of full scale.", low=-1, high=1)
    contrast: float = param(1.0, "Contrast multiplier around mid-grey.", low=0, high=4)
    temperature: float = param(0.0, "Warm (+) or cool (-) white balance, -1..1.", low=-1, high=1)
    tint: float = param(0.0, "Magenta (+) or green (-) tint, -1..1.", low=-1, high=1)
    lut: str | None = param(None, "A .cube 3D LUT file applied last.", kind="file")
    lut_strength: float = param(1.0, "How much of the LUT result to use, 0..1.", low=0, high=1)

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The regraded ``[H, W, 3]`` frame, weighted by the region ``alpha``."""
        image = frame
        table = _channel_table(self.temperature, self.tint, self.brightness, self.contrast)
        if table is not None:
            image = cv2.LUT(image, table, dst=scratch(ctx, "recolor.curves", frame.shape))
        if self.hue != 0.0:
            image = self._rotate_hue(image, ctx)
        elif self.saturation != 1.0:
            grey = cv2.cvtColor(
                image, cv2.COLOR_RGB2GRAY, dst=scratch(ctx, "recolor.grey", frame.shape[:2])
            )
            out = scratch(ctx, "recolor.image", frame.shape)
            if self.saturation == 0.0:
                image = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB, dst=out)
            else:
                grey = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB, dst=out)
                image = cv2.addWeighted(
                    image, self.saturation, grey, 1.0 - self.saturation, 0.0, dst=out
                )
        if self.lut is not None and self.lut_strength > 0.0:
            graded = apply_dense(
                image,
                cached_dense_table(self.lut),
                work=scratch(ctx, "recolor.lut_keys", (*frame.shape[:2], 4)),
                out=scratch(ctx, "recolor.lut_image", frame.shape),
            )
            if self.lut_strength < 1.0:
                graded = cv2.addWeighted(graded, self.lut_strength, image, 1 - self.lut_strength, 0)
            image = graded
        return EffectOutput(image=image, weight=alpha)

    def _rotate_hue(self, image: np.ndarray, ctx: EffectContext) -> np.ndarray:
        """Hue rotation (and saturation scaling) in OpenCV's 8-bit HSV (hue 0..179)."""
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV, dst=scratch(ctx, "recolor.hsv", image.shape))
        steps = np.arange(256, dtype=np.float32)
        hue_curve = np.mod(np.rint(steps + self.hue / 2.0), 180.0)
        sat_curve = np.clip(np.rint(steps * self.saturation), 0, 255)
        curves = np.stack([hue_curve, sat_curve, steps], axis=1).astype(np.uint8)  # [256, 3]
        hsv = cv2.LUT(hsv, curves[:, None, :], dst=hsv)  # curves as [256, 1, 3]
        out = scratch(ctx, "recolor.image", image.shape)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB, dst=out)


@functools.lru_cache(maxsize=64)
def _channel_table(
    temperature: float, tint: float, brightness: float, contrast: float
) -> np.ndarray | None:
    """The per-channel curve as a cv2.LUT table, or None when it is the identity.

    ``[256]`` uint8 when the three channels share one curve (OpenCV applies a
    single-channel table about twice as fast), else ``[256, 1, 3]``.
    """
    if (temperature, tint, brightness, contrast) == (0.0, 0.0, 0.0, 1.0):
        return None
    gains = np.array(
        [
            1.0 + _WHITE_BALANCE_RANGE * temperature,
            1.0 - _WHITE_BALANCE_RANGE * tint,
            1.0 - _WHITE_BALANCE_RANGE * temperature,
        ],
        np.float32,
    )
    levels = np.arange(256, dtype=np.float32)[:, None] * gains  # [256, 3]
    levels = (levels - 128.0) * contrast + 128.0 + 255.0 * brightness
    table = np.clip(np.rint(levels), 0, 255).astype(np.uint8)
    if (table == table[:, :1]).all():
        table = np.ascontiguousarray(table[:, 0])
    else:
        table = table[:, None, :]  # [256, 3] -> [256, 1, 3]
    table.flags.writeable = False  # shared between calls
    return table
