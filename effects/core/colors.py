"""Colour values for effect parameters, and the fixed per-object palette.

Colours are RGB tuples of three ints in 0..255. Users write them as ``#rrggbb``,
``#rgb``, a small set of names, or a list of three numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vfx.safe_yaml import echo

Color = tuple[int, int, int]

NAMED_COLORS: dict[str, Color] = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "red": (230, 40, 40),
    "green": (40, 200, 70),
    "blue": (40, 90, 230),
    "yellow": (250, 215, 30),
    "cyan": (30, 210, 230),
    "magenta": (220, 50, 200),
    "orange": (250, 140, 20),
    "purple": (140, 70, 210),
    "pink": (250, 130, 180),
}

# Distinct, saturated colours that stay readable over video; object N always gets
# entry (N - 1) mod len, so a colour never changes between frames or runs.
OBJECT_PALETTE: tuple[Color, ...] = (
    (255, 64, 96),
    (40, 160, 255),
    (255, 196, 0),
    (60, 210, 110),
    (180, 90, 255),
    (255, 120, 40),
    (0, 210, 210),
    (240, 80, 200),
    (150, 200, 40),
    (120, 140, 255),
)


def object_color(obj_id: int) -> Color:
    """The stable palette colour of object ``obj_id`` (ids start at 1; any int works)."""
    return OBJECT_PALETTE[(obj_id - 1) % len(OBJECT_PALETTE)]


def parse_color(value: object) -> Color:
    """Turn ``#rrggbb``, ``#rgb``, a colour name or ``[r, g, b]`` into an RGB tuple.

    Raises ``ValueError`` with a short description of the accepted forms.
    """
    accepted = "a colour like '#ff8800', '#f80', a name (" + ", ".join(NAMED_COLORS) + ")"
    accepted += " or [r, g, b] with 0..255 values"
    if isinstance(value, str):
        text = value.strip().lower()
        if text in NAMED_COLORS:
            return NAMED_COLORS[text]
        digits = text[1:] if text.startswith("#") else ""
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        if len(digits) == 6 and all(ch in "0123456789abcdef" for ch in digits):
            return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
        raise ValueError(f"expected {accepted}, got {echo(value)}")
    if isinstance(value, Sequence) and len(value) == 3:
        channels = []
        for channel in value:
            is_number = isinstance(channel, int | float) and not isinstance(channel, bool)
            if not is_number or not 0 <= channel <= 255 or int(channel) != channel:
                raise ValueError(f"expected {accepted}, got {echo(value)}")
            channels.append(int(channel))
        return (channels[0], channels[1], channels[2])
    raise ValueError(f"expected {accepted}, got {echo(value)}")


def format_color(color: Color) -> str:
    """``(255, 136, 0)`` -> ``'#ff8800'``."""
    return "#{:02x}{:02x}{:02x}".format(*color)


def solid_image(height: int, width: int, color: Color) -> np.ndarray:
    """A new ``[height, width, 3]`` uint8 image of one colour.

    Fills one row and copies it down: numpy broadcasts a 3-value colour over
    a whole image about a hundred times slower.
    """
    image = np.empty((height, width, 3), np.uint8)
    if height > 0:
        image[0] = color
        image[1:] = image[0]
    return image
