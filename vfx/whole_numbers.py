"""Whole numbers typed by users (environment variables, prompt frames and ids), checked once."""

from __future__ import annotations

from vfx.errors import VfxError


def whole_number(text: str, what: str, fix: str, minimum: int = 0) -> int:
    """``text`` as an int of at least ``minimum``.

    Raises:
        VfxError: one line naming ``what`` and the ``fix`` (e.g. ``"use FRAME:X,Y"``).
    """
    try:
        value = int(text)
    except ValueError:
        raise VfxError(f"{what} must be a whole number, got '{text[:40]}'; {fix}") from None
    if value < minimum:
        bound = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
        raise VfxError(f"{what} {bound}, got {value}; {fix}")
    return value
