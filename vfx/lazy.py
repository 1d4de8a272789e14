"""Package attributes that load on first use, so importing a package (and the CLI) stays fast."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``names[attr]`` (a module) on first
    access and returns its ``attr`` (or the module itself when it is ``package.attr``); other
    names raise :class:`AttributeError`."""

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(target)
        return module if target == f"{package}.{name}" else getattr(module, name)

    return __getattr__
