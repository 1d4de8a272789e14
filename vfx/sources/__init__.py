"""Where masks come from: the SAM 2 tracker's store, imported files, or a chroma key.

Every source satisfies :class:`MaskSource`: per-object soft masks, frame by frame. The names
below load on first use, so importing :mod:`vfx.sources.base` (as the mask formats do) does
not load the importers, which themselves use the mask formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vfx.lazy import lazy_getattr

if TYPE_CHECKING:
    from vfx.sources.base import MaskSource
    from vfx.sources.chroma import ChromaKeySource, despill, parse_chroma_color
    from vfx.sources.imported import ImportedMasks, load_masks

_LAZY = {
    "MaskSource": "vfx.sources.base",
    "ChromaKeySource": "vfx.sources.chroma",
    "despill": "vfx.sources.chroma",
    "parse_chroma_color": "vfx.sources.chroma",
    "ImportedMasks": "vfx.sources.imported",
    "load_masks": "vfx.sources.imported",
}

__all__ = [
    "ChromaKeySource",
    "ImportedMasks",
    "MaskSource",
    "despill",
    "load_masks",
    "parse_chroma_color",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
