"""Reading config values safely: official ``"++model.<field>=<value>"`` override strings and
type checks against the fields of :class:`sam2.configs.SAM2Config` (nothing is evaluated)."""

from __future__ import annotations

import re
import types
import typing
from typing import Any


class ConfigError(ValueError):
    """A model name, override or config value that cannot be used; the message says why."""


_OVERRIDE_PATTERN = re.compile(r"^\+{0,2}model\.(?P<key>[A-Za-z0-9_.]+)=(?P<value>.*)$")
_NESTED_PREFIXES = ("sam_mask_decoder_extra_args.",)


def parse_override(text: str) -> tuple[str, Any]:
    """Split an official ``"++model.<field>=<value>"`` string into ``(field, value)``.

    Values parse safely (never evaluated): ``true``/``false``, ``null``, ints, floats, ``[a, b]``
    lists (as tuples) and otherwise strings (quotes stripped).
    """
    match = _OVERRIDE_PATTERN.match(text.strip())
    if match is None:
        raise ConfigError(
            f"bad override {text!r}; write it as '++model.<field>=<value>', "
            "e.g. '++model.fill_hole_area=0'"
        )
    key = match.group("key")
    for prefix in _NESTED_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key, parse_value(match.group("value"))


def parse_value(text: str) -> Any:
    """A scalar or flat list from override text, without ``eval``."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return tuple(parse_value(part) for part in inner.split(",")) if inner else ()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none", "~"):
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def coerce_value(key: str, value: Any, hint: Any) -> Any:
    """``value`` converted to the field's declared type, or a ConfigError naming both."""
    try:
        return typed_value(value, hint)
    except TypeError:
        raise ConfigError(
            f"SAM2Config field {key!r} expects {type_name(hint)}, got {value!r}"
        ) from None


def type_name(hint: Any) -> str:
    """``int``, ``float | None``...: a type hint as a person reads it."""
    return getattr(hint, "__name__", str(hint))


def typed_value(value: Any, hint: Any) -> Any:
    """``value`` as the type hint says, or ``TypeError``. The one typed-settings check (model
    configs, smoothing and refinement settings): ``bool`` takes only booleans; ``int`` ints and
    whole floats; ``float`` any number but a boolean; ``str`` strings; ``tuple[int, ...]`` a list
    or tuple of ints; ``X | None`` also ``None``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return None
        for option in typing.get_args(hint):
            if option is not type(None):
                try:
                    return typed_value(value, option)
                except TypeError:
                    continue
    elif origin is tuple:
        if isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return tuple(value)
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str and isinstance(value, str):
        return value
    raise TypeError(f"expected {type_name(hint)}, got {value!r}")
