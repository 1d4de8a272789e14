"""``replace_background``: show a colour, gradient, image or video where the region is."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from effects.core.background_source import background_frame, normalize_source
from effects.core.base import Effect, EffectContext, EffectOutput, scratch
from effects.core.kernels import blur, blur_box
from effects.core.params import param
from effects.core.registry import register

FIT_MODES: tuple[str, ...] = ("cover", "contain", "stretch")


@register
@dataclass(frozen=True)
class ReplaceBackground(Effect):
    """Replace the region (typically ``~subject``) with another background.

    ``source`` is ``solid:COLOR``, ``gradient:START,END[,DIRECTION]`` or an image
    or video file (see :mod:`effects.core.background_source`). ``light_wrap`` lets
    the new background's light spill over the subject's edge (the pixels just
    outside the region), so the subject sits in the scene instead of on it.
    """

    name = "replace_background"

    source: str = param(
        "gradient:#182038,#6080b0",
        "solid:COLOR, gradient:A,B[,DIR], or an image/video file.",
        convert=normalize_source,
    )
    fit: str = param(
        "cover", "How a picture of another shape fits: cover, contain, stretch.", choices=FIT_MODES
    )
    fill: tuple[int, int, int] = param(
        (0, 0, 0), "Colour of the bars around a 'contain' fit.", kind="color"
    )
    loop: bool = param(True, "Loop a shorter background video (false: hold its last frame).")
    light_wrap: float = param(0.0, "Strength of the light wrap, 0 (off)..1.", low=0, high=1)
    wrap_radius: float = param(
        10.0, "How far the light wrap reaches into the subject, in pixels.", low=1, high=200
    )

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """The background ``[H, W, 3]``, weighted by ``alpha`` (plus the wrap band)."""
        size = (frame.shape[1], frame.shape[0])
        background = background_frame(
            self.source, size, ctx, fit=self.fit, fill=self.fill, loop=self.loop
        )
        if self.light_wrap <= 0.0:
            return EffectOutput(image=background, weight=alpha)
        # Light reaching the subject: the background near the edge, blurred, on
        # the pixels just outside the region (where alpha is low). The spill is
        # 0 where alpha is 1, so only the box around alpha < 1 needs the work.
        x, y, w, h = cv2.boundingRect((alpha < 1.0).view(np.uint8))
        if w == 0:
            return EffectOutput(image=background, weight=alpha)
        inner = (slice(y, y + h), slice(x, x + w))
        reach = blur_box(alpha, self.wrap_radius, (x, y, x + w, y + h))
        spill = np.subtract(np.float32(1.0), alpha[inner])
        spill *= reach
        spill *= np.float32(self.light_wrap)
        image = scratch(ctx, "replace_background.image", background.shape)
        image[...] = background
        cv2.blendLinear(
            background[inner],
            self._soft(background, ctx)[inner],
            alpha[inner],
            spill,
            dst=image[inner],
        )
        weight = scratch(ctx, "replace_background.weight", alpha.shape, np.float32)
        weight[...] = alpha
        cv2.add(alpha[inner], spill, dst=weight[inner])
        return EffectOutput(image=image, weight=weight)

    def _soft(self, background: np.ndarray, ctx: EffectContext) -> np.ndarray:
        """The blurred background; still sources return the same array every frame,
        so their blur is computed once and kept in ``ctx.cache``."""
        key = ("background-soft", self, background.shape)
        cached = ctx.cache.get(key)
        if cached is not None and cached[0] is background:
            return cached[1]
        soft = blur(background, self.wrap_radius)
        ctx.cache[key] = (background, soft)
        return soft
