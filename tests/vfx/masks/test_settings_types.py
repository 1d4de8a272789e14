"""Settings are checked by their fields' type hints, optional ones included."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sam2.config_values import ConfigError, coerce_value, typed_value
from vfx.errors import VfxError
from vfx.masks.settings import _from_dict


@dataclass(frozen=True)
class _Optional:
    limit: int | None = None
    scale: float = 1.0


def test_an_optional_field_takes_none_or_its_type() -> None:
    # looking types up by str(field.type) raised KeyError for "int | None"
    assert _from_dict(_Optional, "test", {"limit": None}) == _Optional()
    assert _from_dict(_Optional, "test", {"limit": 4, "scale": 2}) == _Optional(4, 2.0)
    with pytest.raises(VfxError, match=r"test setting limit must be of type int \| None, got 'x'"):
        _from_dict(_Optional, "test", {"limit": "x"})


@pytest.mark.parametrize(
    ("value", "hint", "expected"),
    [(True, bool, True), (3.0, int, 3), (2, float, 2.0), ([1, 2], tuple[int, ...], (1, 2)),
     (None, int | None, None), (5, int | None, 5)],
)
def test_typed_value_accepts(value, hint, expected) -> None:
    out = typed_value(value, hint)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize(
    ("value", "hint"),
    [(1, bool), (True, int), (2.5, int), (True, float), (3, str), (None, int),
     ([1.5], tuple[int, ...])],
)
def test_typed_value_refuses(value, hint) -> None:
    with pytest.raises(TypeError):
        typed_value(value, hint)
    with pytest.raises(ConfigError, match="expects"):
        coerce_value("field", value, hint)
