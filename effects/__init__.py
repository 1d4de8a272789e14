"""The effect catalogue: one effect per module, registered by name in :mod:`effects.core.registry`.

Importing this package registers every effect. Each effect is a frozen
dataclass whose fields are its parameters; ``from_params`` builds one from
preset data, and ``apply(frame, alpha, ctx)`` applies it to one frame.

=====================  ==========================================================
``replace_background``  a colour, gradient, image or video behind the subject
``blur``                gaussian, box or lens (disc) blur
``recolor``             saturation, hue, brightness, contrast, temperature, tint, .cube LUT
``cutout``              transparency outside the region (RGBA, straight alpha)
``pixelate``            square mosaic blocks
``overlay``             translucent per-object colour fill with an outline
``outline``             per-object stroke with a glow
``spotlight``           dim and desaturate outside the region, soft falloff
``erase``               inpaint the region from its surroundings, or fill it
``edges``               Sobel edge stylise (neon, mono, sketch)
``solid``, ``gradient``  generated colour fills, also background sources
=====================  ==========================================================
"""

from __future__ import annotations

from effects.blur import Blur
from effects.core.base import Effect, EffectContext, EffectOutput, ObjectInfo
from effects.core.registry import EFFECTS, build_effect, get_effect, register
from effects.cutout import Cutout
from effects.edges import Edges
from effects.erase import Erase
from effects.gradient import Gradient
from effects.outline import Outline
from effects.overlay import Overlay
from effects.pixelate import Pixelate
from effects.recolor import Recolor
from effects.replace_background import ReplaceBackground
from effects.solid import Solid
from effects.spotlight import Spotlight

__all__ = [
    "EFFECTS",
    "Blur",
    "Cutout",
    "Edges",
    "Effect",
    "EffectContext",
    "EffectOutput",
    "Erase",
    "Gradient",
    "ObjectInfo",
    "Outline",
    "Overlay",
    "Pixelate",
    "Recolor",
    "ReplaceBackground",
    "Solid",
    "Spotlight",
    "build_effect",
    "get_effect",
    "register",
]
