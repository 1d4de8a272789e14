"""Masklets: the store of per-object soft masks, temporal smoothing, edge refinement, metrics.

``MaskletStore`` keeps a tracker's per-object soft masks on disk; ``smooth`` /
``TemporalSmoother`` remove chatter over time; ``refine`` cleans shapes and
edges; ``grow_mask`` / ``shrink_mask`` / ``feather_mask`` are the primitives of
the region language; ``vfx.masks.metrics`` measures J, F and flicker.

The names below load on first use: importing one module of the package (``vfx.masks.morphology``
for the effects) does not load optical flow, the store or the smoothers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vfx.lazy import lazy_getattr

# Eager: the function has its module's name, and a loaded sub-module would shadow a lazy name.
from vfx.masks.guided_filter import guided_filter

if TYPE_CHECKING:
    from vfx.masks import metrics
    from vfx.masks.cache_key import default_cache_root, masklet_cache_key, video_content_hash
    from vfx.masks.masklet_store import (
        MaskletStore,
        MaskletWriter,
        find_cached_store,
        verify_store,
    )
    from vfx.masks.morphology import (
        feather_mask,
        fill_holes,
        grow_mask,
        remove_islands,
        shrink_mask,
    )
    from vfx.masks.refinement import refine
    from vfx.masks.settings import RefineSettings, SmoothSettings
    from vfx.masks.temporal_smoothing import TemporalSmoother, smooth

_LAZY = {
    "metrics": "vfx.masks.metrics",
    "default_cache_root": "vfx.masks.cache_key",
    "masklet_cache_key": "vfx.masks.cache_key",
    "video_content_hash": "vfx.masks.cache_key",
    "MaskletStore": "vfx.masks.masklet_store",
    "MaskletWriter": "vfx.masks.masklet_store",
    "find_cached_store": "vfx.masks.masklet_store",
    "verify_store": "vfx.masks.masklet_store",
    "feather_mask": "vfx.masks.morphology",
    "fill_holes": "vfx.masks.morphology",
    "grow_mask": "vfx.masks.morphology",
    "remove_islands": "vfx.masks.morphology",
    "shrink_mask": "vfx.masks.morphology",
    "refine": "vfx.masks.refinement",
    "RefineSettings": "vfx.masks.settings",
    "SmoothSettings": "vfx.masks.settings",
    "TemporalSmoother": "vfx.masks.temporal_smoothing",
    "smooth": "vfx.masks.temporal_smoothing",
}

__all__ = [
    "MaskletStore",
    "MaskletWriter",
    "RefineSettings",
    "SmoothSettings",
    "TemporalSmoother",
    "default_cache_root",
    "feather_mask",
    "fill_holes",
    "find_cached_store",
    "grow_mask",
    "guided_filter",
    "masklet_cache_key",
    "metrics",
    "refine",
    "remove_islands",
    "shrink_mask",
    "smooth",
    "verify_store",
    "video_content_hash",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
