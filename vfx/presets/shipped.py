"""Where the shipped presets are: the ``presets`` package's folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_dir() -> Path:
    """The folder of the shipped presets (the ``presets`` package) and their ``assets/``."""
    return Path(str(resources.files("presets")))
