"""``--start``/``--end``: work on a segment of the video first (frames or seconds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def range_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--start`` and ``--end`` (see :mod:`vfx.frame_range`) to a command."""
    fn = click.option(
        "--end",
        metavar="FRAME|SECONDSs",
        help="Stop before this frame or time (exclusive), e.g. --end 72 or --end 3s.",
    )(fn)
    return click.option(
        "--start",
        metavar="FRAME|SECONDSs",
        help="Begin at this frame or time, e.g. --start 48 or --start 2s (default: the start).",
    )(fn)
