"""Read a manifest's text as plain data: JSON, or YAML without aliases or tags.

A manifest is data. YAML aliases are refused because a few of them can expand
into a document far larger than its text (a "billion laughs"), and the safe
loader already refuses tags that would build Python objects. Kept to one small
function so that a shared data-only YAML loader can take its place.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from vfx.errors import VfxError


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing ``*alias`` references."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise VfxError(
                f"manifest line {mark.line + 1}: YAML aliases (*name) are not allowed; "
                "write the value out in full"
            )
        return super().compose_node(parent, index)


def parse_manifest_text(text: str, name: str) -> Any:
    """The data of a manifest file ``name`` (``.json``: JSON, else YAML).

    Raises:
        VfxError: a syntax error, with its line, or a YAML alias.
    """
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise VfxError(
                f"manifest {name} is not valid JSON (line {exc.lineno}: {exc.msg}); fix the file"
            ) from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise VfxError(
            f"manifest {name} has a YAML syntax error{where} ({problem}); fix the file"
        ) from None
