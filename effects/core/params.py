"""Typed, documented effect parameters and their validation.

Every effect field is declared with :func:`param`, which records a one-line
description, the kind of value, and its allowed range or choices. The same
converters validate values typed in YAML presets (``from_params``) and values
passed from Python (``__post_init__``), so both report the same messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effects.core.colors import format_color, parse_color
from vfx.safe_yaml import echo

_TRUE_WORDS = {"true", "yes", "on", "1"}
_FALSE_WORDS = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class ParamSpec:
    """What one effect parameter accepts.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``choice``, ``color``, ``file``
    (an existing file path, or None where the default is None) and ``custom``
    (``convert`` does the work).
    """

    doc: str
    kind: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    optional: bool = False
    convert: Callable[[Any, Path | None], Any] | None = None

    def describe(self) -> str:
        """A short human description of the accepted values, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                return f"{noun} in {_num(self.low)}..{_num(self.high)}"
            if self.low is not None:
                return f"{noun} >= {_num(self.low)}"
            return noun
        if self.kind == "bool":
            return "true or false"
        if self.kind == "color":
            return "a colour such as '#ff8800' or 'white'"
        if self.kind == "file":
            return "the path of an existing file" + (" or null" if self.optional else "")
        return self.doc


def param(
    default: Any,
    doc: str,
    *,
    kind: str | None = None,
    choices: Sequence[str] = (),
    low: float | None = None,
    high: float | None = None,
    convert: Callable[[Any, Path | None], Any] | None = None,
) -> Any:
    """Declare a dataclass field that is an effect parameter.

    ``kind`` defaults from the default value: bool, int, float, or ``choice``
    when ``choices`` is given.
    """
    if convert is not None:
        kind = "custom"
    elif kind is None:
        if choices:
            kind = "choice"
        elif isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, int):
            kind = "int"
        elif isinstance(default, float):
            kind = "float"
        else:
            raise TypeError(f"param(): give kind= for a default of {echo(default)}")
    spec = ParamSpec(
        doc=doc,
        kind=kind,
        choices=tuple(choices),
        low=low,
        high=high,
        optional=default is None,
        convert=convert,
    )
    return field(default=default, metadata={"param": spec})


def convert_value(spec: ParamSpec, value: Any, base_dir: Path | None) -> Any:
    """Validate and normalise ``value`` for ``spec``; raise ``ValueError`` with the reason."""
    if value is None and spec.optional:
        return None
    if spec.kind == "custom":
        assert spec.convert is not None
        return spec.convert(value, base_dir)
    if spec.kind in ("int", "float"):
        number = _as_number(value, integer=spec.kind == "int")
        if number is None or (spec.low is not None and number < spec.low):
            raise ValueError(f"expected {spec.describe()}, got {echo(value)}")
        if spec.high is not None and number > spec.high:
            raise ValueError(f"expected {spec.describe()}, got {echo(value)}")
        return number
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
            return value.strip().lower() in _TRUE_WORDS
        raise ValueError(f"expected true or false, got {echo(value)}")
    if spec.kind == "choice":
        if isinstance(value, str) and value.strip().lower() in spec.choices:
            return value.strip().lower()
        raise ValueError(f"expected {spec.describe()}, got {echo(value)}")
    if spec.kind == "color":
        return parse_color(value)
    if spec.kind == "file":
        return resolve_file(value, base_dir)
    raise TypeError(f"unknown parameter kind {echo(spec.kind)}")


def resolve_file(value: Any, base_dir: Path | None, *, allow_dir: bool = False) -> str:
    """An existing file (or folder, with ``allow_dir``) named relative to ``base_dir`` or the cwd.

    ``base_dir`` is the preset's folder; the first candidate that exists wins.
    """
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError(f"expected a file path, got {echo(value)}")

    def exists(candidate: Path) -> bool:
        return candidate.is_file() or (allow_dir and candidate.is_dir())

    path = Path(str(value).strip()).expanduser()
    if not path.is_absolute():
        candidates = [base_dir / path] if base_dir is not None else []
        candidates.append(Path.cwd() / path)
        path = next((c for c in candidates if exists(c)), candidates[0])
    if not exists(path):
        raise ValueError(f"file not found: {path} (paths are relative to the preset file or cwd)")
    return str(path.resolve())


def format_value(value: Any) -> Any:
    """A normalised parameter value as a preset would write it (colours as ``#rrggbb``)."""
    if isinstance(value, tuple) and len(value) == 3 and all(isinstance(v, int) for v in value):
        return format_color(value)
    return value


def _as_number(value: Any, *, integer: bool) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if integer:
        return int(value) if float(value).is_integer() else None
    return float(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
