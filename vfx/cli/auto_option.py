"""``--auto [FRAME:]MODE``: pick objects from the automatic masks instead of clicking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def auto_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--auto`` to a command (passed on as ``auto``)."""
    return click.option(
        "--auto",
        "auto",
        metavar="[FRAME:]MODE",
        help="Pick objects without clicks from the automatic masks of FRAME (default 0): "
        "largest, center, all[:MIN_AREA] (a fraction of the frame) or ids:3,5 (numbers from "
        "`vfx segment`); they become objects 1, 2, ...",
    )(fn)
