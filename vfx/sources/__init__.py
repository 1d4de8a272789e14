"""Where masks come from: the SAM 2 tracker's store, imported files, or a chroma key.

Every source satisfies :class:`MaskSource`: per-object soft masks, frame by frame.
"""

from vfx.sources.base import MaskSource
from vfx.sources.chroma import ChromaKeySource, despill, parse_chroma_color
from vfx.sources.imported import ImportedMasks, load_masks

__all__ = [
    "ChromaKeySource",
    "ImportedMasks",
    "MaskSource",
    "despill",
    "load_masks",
    "parse_chroma_color",
]
