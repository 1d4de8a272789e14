"""vfx: track objects through video with SAM 2 and composite effects onto them.

>>> import vfx                                                   # doctest: +SKIP
>>> prompts = vfx.parse_prompts(points=["0:320,240"])
>>> vfx.render("clip.mp4", "out.mp4", preset="background-blur", prompts=prompts)
>>> vfx.render("clip.mp4", "splash.mp4", preset="color-splash", masks="masks/")
>>> vfx.list_presets()["spotlight"]

The functions load on first use, so ``import vfx`` (and the CLI) start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vfx.errors import VfxError
from vfx.lazy import lazy_getattr

if TYPE_CHECKING:
    from vfx.api import render, track
    from vfx.checkpoints import download_checkpoint, list_checkpoints, verify_checkpoint
    from vfx.mask_formats.export import export_masks
    from vfx.presets import Preset, list_presets, load_preset
    from vfx.prompts.parsing import parse_prompts
    from vfx.rendering.pipeline import RenderResult
    from vfx.rendering.preview import preview

__version__ = "0.1.0"

_LAZY = {
    "render": "vfx.api",
    "track": "vfx.api",
    "export_masks": "vfx.mask_formats.export",
    "download_checkpoint": "vfx.checkpoints",
    "list_checkpoints": "vfx.checkpoints",
    "verify_checkpoint": "vfx.checkpoints",
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
    "download_checkpoint",
    "export_masks",
    "list_checkpoints",
    "list_presets",
    "load_preset",
    "parse_prompts",
    "preview",
    "render",
    "track",
    "verify_checkpoint",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
