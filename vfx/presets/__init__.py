"""Presets: named looks written as YAML data (DESIGN.md §5), loaded and validated."""

from __future__ import annotations

from vfx.presets.loading import apply_overrides, list_presets, load_preset, parse_override
from vfx.presets.preset import LayerSpec, MaskSpec, OutputSpec, Preset

__all__ = [
    "LayerSpec",
    "MaskSpec",
    "OutputSpec",
    "Preset",
    "apply_overrides",
    "list_presets",
    "load_preset",
    "parse_override",
]
