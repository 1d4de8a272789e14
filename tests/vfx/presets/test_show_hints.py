"""Every ``--set`` that ``vfx presets show`` suggests is one the validator accepts and that
changes the preset it was printed for."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from vfx.cli import cli
from vfx.presets import list_presets, load_preset

_SET = re.compile(r"--set (\S+?=\S+?)(?:[,.]?(?:\s|$))")


@pytest.mark.parametrize("name", sorted(list_presets()))
def test_every_suggested_set_is_valid_for_its_preset(name: str) -> None:
    result = CliRunner().invoke(cli, ["presets", "show", name])
    assert result.exit_code == 0, result.output
    hint_line = result.output.strip().splitlines()[-1]
    suggestions = [s for s in _SET.findall(hint_line) if s != "LAYER.PARAM=VALUE"]
    assert suggestions, hint_line
    assert re.match(r"\d+\.", suggestions[0]), "the first example sets a layer parameter"
    plain = load_preset(name)
    for text in suggestions:
        changed = load_preset(name, [text])  # raises VfxError on an invalid override
        assert changed != plain, f"--set {text} changes nothing in {name}"


def test_spotlight_is_not_told_to_set_a_radius_it_does_not_have() -> None:
    output = CliRunner().invoke(cli, ["presets", "show", "spotlight"]).output
    assert "0.radius" not in output
