"""Prompts: parsing (CLI strings, prompt files), the typed model, validation against the video.

:mod:`vfx.prompts.model` holds the typed prompts (:class:`ObjectPrompts`,
:class:`FramePrompt`); :mod:`vfx.prompts.parsing` turns ``--point``/``--box``/
``--prompts FILE`` into them and checks them against the video's size and length.
The names below load on first use, so importing the model stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vfx.lazy import lazy_getattr

if TYPE_CHECKING:
    from vfx.prompts.model import FramePrompt, ObjectPrompts
    from vfx.prompts.parsing import (
        BOX_SYNTAX,
        POINT_SYNTAX,
        parse_box,
        parse_point,
        parse_prompts,
        prompts_identity,
        validate_prompts,
    )

_LAZY = {
    "FramePrompt": "vfx.prompts.model",
    "ObjectPrompts": "vfx.prompts.model",
    "BOX_SYNTAX": "vfx.prompts.parsing",
    "POINT_SYNTAX": "vfx.prompts.parsing",
    "parse_box": "vfx.prompts.parsing",
    "parse_point": "vfx.prompts.parsing",
    "parse_prompts": "vfx.prompts.parsing",
    "prompts_identity": "vfx.prompts.parsing",
    "validate_prompts": "vfx.prompts.parsing",
}

__all__ = [
    "BOX_SYNTAX",
    "POINT_SYNTAX",
    "FramePrompt",
    "ObjectPrompts",
    "parse_box",
    "parse_point",
    "parse_prompts",
    "prompts_identity",
    "validate_prompts",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
