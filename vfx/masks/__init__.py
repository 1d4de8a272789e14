"""Masklets: the store of per-object soft masks, temporal smoothing, edge refinement, metrics.

``MaskletStore`` keeps a tracker's per-object soft masks on disk; ``smooth`` /
``TemporalSmoother`` remove chatter over time; ``refine`` cleans shapes and
edges; ``grow_mask`` / ``shrink_mask`` / ``feather_mask`` are the primitives of
the region language; ``vfx.masks.metrics`` measures J, F and flicker.
"""

from vfx.masks import metrics
from vfx.masks.cache_key import default_cache_root, masklet_cache_key, video_content_hash
from vfx.masks.guided_filter import guided_filter
from vfx.masks.masklet_store import MaskletStore, MaskletWriter, find_cached_store, verify_store
from vfx.masks.morphology import feather_mask, fill_holes, grow_mask, remove_islands, shrink_mask
from vfx.masks.refinement import refine
from vfx.masks.settings import RefineSettings, SmoothSettings
from vfx.masks.temporal_smoothing import TemporalSmoother, smooth

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
