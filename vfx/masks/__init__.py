"""Masklets: the store of per-object soft masks, temporal smoothing, edge refinement, metrics."""

from vfx.masks.cache_key import default_cache_root, masklet_cache_key, video_content_hash
from vfx.masks.masklet_store import MaskletStore, MaskletWriter, find_cached_store
from vfx.masks.morphology import feather_mask, fill_holes, grow_mask, remove_islands, shrink_mask
from vfx.masks.settings import SmoothSettings
from vfx.masks.temporal_smoothing import TemporalSmoother, smooth

__all__ = [
    "MaskletStore",
    "MaskletWriter",
    "SmoothSettings",
    "TemporalSmoother",
    "default_cache_root",
    "feather_mask",
    "fill_holes",
    "find_cached_store",
    "grow_mask",
    "masklet_cache_key",
    "remove_islands",
    "shrink_mask",
    "smooth",
    "video_content_hash",
]
