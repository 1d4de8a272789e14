"""The one YAML (and JSON) loader for user files: presets, prompt files, manifests.

``yaml.safe_load`` builds no objects, but it still expands aliases: a 1 KB
"billion laughs" document becomes gigabytes, and error messages that ``repr``
the expanded data take minutes more. :func:`load_yaml` refuses aliases outright
(vfx files never need them), bounds the document's size, node count and nesting
depth (:mod:`vfx.limits`), and turns every failure into one :class:`VfxError`
line. :func:`echo` bounds a user value quoted in a message.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml

from vfx import limits
from vfx.errors import VfxError

_ECHO = reprlib.Repr()
_ECHO.maxstring = 40
_ECHO.maxother = 40
_ECHO.maxlist = _ECHO.maxtuple = _ECHO.maxdict = _ECHO.maxset = 4
_ECHO.maxlevel = 3
_ECHO_MAX = 80


def echo(value: object) -> str:
    """``repr(value)`` cut to at most 80 characters, for quoting user data in a message."""
    text = _ECHO.repr(value)
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 3] + "..."


class _Refused(Exception):
    """What is wrong, where, and the fix."""

    def __init__(self, what: str, mark: yaml.Mark | None, fix: str) -> None:
        super().__init__(what)
        self.what, self.mark, self.fix = what, mark, fix


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and counts nodes and nesting depth as it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0
        self._max_nodes = limits.YAML_NODES.value
        self._max_depth = limits.YAML_DEPTH.value

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                f"uses a YAML alias (*{echo(event.anchor)[1:-1]})",
                event.start_mark,
                "vfx files may not use aliases: write the value out",
            )
        self._nodes += 1
        if self._nodes > self._max_nodes:
            raise _Refused(
                f"has more than {self._max_nodes} YAML nodes",
                None,
                f"raise {limits.YAML_NODES.env} if the file is really that large",
            )
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise _Refused(
                    f"nests deeper than {self._max_depth} levels",
                    self.peek_event().start_mark,
                    f"flatten it (or raise {limits.YAML_DEPTH.env})",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str, label: str, *, fix: str = "fix the file") -> Any:
    """Parse ``text`` (YAML or JSON) safely; ``label`` starts every error message.

    Raises:
        VfxError: one line, ``"<label> has a YAML syntax error at line L, column C
            (problem); <fix>"``, or says that the document uses an alias, is too
            big, has too many nodes, or nests too deeply.
    """
    limits.YAML_BYTES.check(len(text.encode("utf-8", "surrogatepass")), label)
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise VfxError(f"{label} {exc.what}{_where(exc.mark)}; {exc.fix}") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        raise VfxError(
            f"{label} has a YAML syntax error{_where(mark)} ({str(problem)[:120]}); {fix}"
        ) from None
    except RecursionError:
        raise VfxError(f"{label} nests too deeply to read; flatten it and {fix}") from None
    finally:
        loader.dispose()


def _where(mark: yaml.Mark | None) -> str:
    return "" if mark is None else f" at line {mark.line + 1}, column {mark.column + 1}"
