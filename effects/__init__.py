"""The effect catalogue: one effect per module, registered by name in :mod:`effects.registry`.

Importing this package registers every effect. Each effect is a frozen
dataclass whose fields are its parameters; ``from_params`` builds one from
preset data, and ``apply(frame, alpha, ctx)`` applies it to one frame.
"""

from __future__ import annotations

from effects.base import Effect, EffectContext, EffectOutput, ObjectInfo
from effects.blur import Blur
from effects.cutout import Cutout
from effects.gradient import Gradient
from effects.recolor import Recolor
from effects.registry import EFFECTS, build_effect, get_effect, register
from effects.replace_background import ReplaceBackground
from effects.solid import Solid

__all__ = [
    "EFFECTS",
    "Blur",
    "Cutout",
    "Effect",
    "EffectContext",
    "EffectOutput",
    "Gradient",
    "ObjectInfo",
    "Recolor",
    "ReplaceBackground",
    "Solid",
    "build_effect",
    "get_effect",
    "register",
]
