"""Effect names to effect classes.

Effects register themselves with ``@register``; a second class under a name that
is already taken is a programming error and raises at import time.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from effects.core.base import Effect
from vfx.errors import VfxError
from vfx.safe_yaml import echo

_REGISTRY: dict[str, type[Effect]] = {}

EFFECTS: Mapping[str, type[Effect]] = MappingProxyType(_REGISTRY)
"""Read-only view: effect name -> effect class."""

EffectClass = TypeVar("EffectClass", bound=type[Effect])


def register(cls: EffectClass) -> EffectClass:
    """Class decorator adding ``cls`` under ``cls.name``; duplicate names raise ValueError."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} needs a non-empty class attribute 'name'")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(
            f"effect name {echo(cls.name)} is already registered by "
            f"{existing.__module__}.{existing.__qualname__}"
        )
    _REGISTRY[cls.name] = cls
    return cls


def get_effect(name: object) -> type[Effect]:
    """The effect class called ``name``; VfxError listing the known names otherwise."""
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        known = sorted(_REGISTRY)
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise VfxError(f"unknown effect {echo(name)}; {hint}known effects: {', '.join(known)}")
    return cls


def build_effect(
    name: str, params: Mapping[str, Any] | None = None, base_dir: Path | None = None
) -> Effect:
    """``get_effect(name).from_params(params, base_dir)``."""
    return get_effect(name).from_params(params or {}, base_dir)
