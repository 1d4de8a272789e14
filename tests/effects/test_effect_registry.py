"""The effect registry: names, duplicates, lookups with suggestions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from effects import EFFECTS, Blur, Effect, EffectContext, EffectOutput, build_effect, get_effect
from effects.core.registry import register
from vfx.errors import VfxError


def test_duplicate_name_raises() -> None:
    @dataclass(frozen=True)
    class AnotherBlur(Effect):
        """Pretends to be blur."""

        name = "blur"

        def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
            return EffectOutput(image=frame, weight=alpha)

    with pytest.raises(ValueError, match=r"'blur' is already registered by effects.blur.Blur"):
        register(AnotherBlur)
    assert EFFECTS["blur"] is Blur
    assert register(Blur) is Blur  # registering the same class again is harmless


def test_nameless_effect_cannot_register() -> None:
    @dataclass(frozen=True)
    class Nameless(Effect):
        """No name."""

    with pytest.raises(ValueError, match="needs a non-empty class attribute 'name'"):
        register(Nameless)


def test_registry_view_is_read_only() -> None:
    with pytest.raises(TypeError):
        EFFECTS["x"] = Blur  # type: ignore[index]


def test_unknown_effect_suggests_the_closest_name() -> None:
    with pytest.raises(
        VfxError, match=r"unknown effect 'blurr'; did you mean 'blur'\? known effects: "
    ):
        get_effect("blurr")
    with pytest.raises(VfxError, match="unknown effect None"):
        get_effect(None)  # type: ignore[arg-type]


def test_build_effect() -> None:
    effect = build_effect("blur", {"radius": 7})
    assert effect == Blur(radius=7.0)
    assert build_effect("cutout") == get_effect("cutout")()
