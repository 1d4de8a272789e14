"""Frame rates as the exact rationals they stand for.

Readers hand frame rates around as floats; every place that writes a rate into a
file (the ffmpeg pipe's ``-r``, a PyAV stream's ``rate``) writes the rational
:func:`exact_rate` recovers, so 24000/1001 stays 24000/1001 and 1/3 stays 1/3
instead of being rounded to 23.98 or 0.33 (which drifts against copied audio).
"""

from __future__ import annotations

from fractions import Fraction

# Rates such as 30000/1001 arrive as floats; this denominator bound recovers them exactly.
_RATE_DENOMINATOR = 1001


def exact_rate(fps: float) -> Fraction:
    """The rational frame rate a float stands for (``29.97002997 -> 30000/1001``)."""
    return Fraction(fps).limit_denominator(_RATE_DENOMINATOR)


def ffmpeg_rate(fps: float) -> str:
    """``fps`` as ffmpeg's ``-r`` takes an exact rate: ``"24000/1001"``, ``"25"``."""
    rate = exact_rate(fps)
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"
