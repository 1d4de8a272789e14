"""Mask formats: PNG, FFV1, npz, COCO RLE, Wan VACE and ComfyUI, out (and back in).

:func:`export_masks` is the entry point for writing; :mod:`vfx.sources.imported` reads them
back. Each format lives in its own module; docs/mask-formats.md describes what every format
holds and which conventions the downstream tools expect. The names below load on first use,
so :mod:`vfx.mask_formats.choices` stays importable without numpy (the CLI's ``--help``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vfx.lazy import lazy_getattr

if TYPE_CHECKING:
    from vfx.mask_formats.choices import FORMATS
    from vfx.mask_formats.conform import Conform, ConformPlan
    from vfx.mask_formats.export import ExportResult, export_masks

_LAZY = {
    "FORMATS": "vfx.mask_formats.choices",
    "Conform": "vfx.mask_formats.conform",
    "ConformPlan": "vfx.mask_formats.conform",
    "ExportResult": "vfx.mask_formats.export",
    "export_masks": "vfx.mask_formats.export",
}

__all__ = ["FORMATS", "Conform", "ConformPlan", "ExportResult", "export_masks"]


__getattr__ = lazy_getattr(__name__, _LAZY)
