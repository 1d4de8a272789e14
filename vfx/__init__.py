"""vfx: track objects through video with SAM 2 and composite effects onto them.

>>> import vfx                                                   # doctest: +SKIP
>>> prompts = vfx.parse_prompts(points=["0:320,240"])
>>> vfx.render("clip.mp4", "out.mp4", preset="background-blur", prompts=prompts)
>>> vfx.render("clip.mp4", "splash.mp4", preset="color-splash", masks="masks/")
>>> vfx.list_presets()["spotlight"]

The functions load on first use, so ``import vfx`` (and the CLI) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vfx.errors import VfxError

if TYPE_CHECKING:
    from vfx.api import render, track
    from vfx.presets import Preset, list_presets, load_preset
    from vfx.prompts.parsing import parse_prompts
    from vfx.rendering.pipeline import RenderResult
    from vfx.rendering.preview import preview

__version__ = "0.1.0"

_LAZY = {
    "render": "vfx.api",
    "track": "vfx.api",
    "preview": "vfx.rendering.preview",
    "parse_prompts": "vfx.prompts.parsing",
    "Preset": "vfx.presets",
    "list_presets": "vfx.presets",
    "load_preset": "vfx.presets",
    "RenderResult": "vfx.rendering.pipeline",
}

__all__ = [
    "Preset",
    "RenderResult",
    "VfxError",
    "__version__",
    "list_presets",
    "load_preset",
    "parse_prompts",
    "preview",
    "render",
    "track",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vfx' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
