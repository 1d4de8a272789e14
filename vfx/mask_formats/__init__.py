"""Mask exports for other tools: PNG, FFV1, npz, COCO RLE, Wan VACE and ComfyUI.

:func:`export_masks` is the entry point; each format lives in its own module.
docs/mask-formats.md describes what every format holds and which conventions
the downstream tools expect.
"""

from vfx.mask_formats.conform import Conform, ConformPlan
from vfx.mask_formats.export import FORMATS, ExportResult, export_masks

__all__ = ["FORMATS", "Conform", "ConformPlan", "ExportResult", "export_masks"]
