"""What a validated preset holds: named masks, effect layers and output options.

A preset is data (DESIGN.md §5). :mod:`vfx.presets.loading` turns a YAML file
into a :class:`Preset` after checking every field; :meth:`Preset.build_graph`
turns its layers into the effects graph the renderer runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vfx.errors import VfxError

if TYPE_CHECKING:
    from vfx.graph import Graph


@dataclass(frozen=True)
class MaskSpec:
    """One named mask: the union of some objects, smoothed over time and refined.

    Attributes:
        name: the name regions use to refer to it, e.g. ``subject``.
        objects: ``None`` for every tracked object, else the object ids it covers.
        smooth: temporal-smoothing settings (``vfx.masks.SmoothSettings`` fields);
            ``None`` turns smoothing off.
        refine: edge-refinement settings (``vfx.masks.RefineSettings`` fields);
            ``None`` turns refinement off.
    """

    name: str
    objects: tuple[int, ...] | None = None
    smooth: dict[str, Any] | None = None
    refine: dict[str, Any] | None = None

    def covers(self, object_ids: list[int]) -> list[int]:
        """The ids among ``object_ids`` that this mask unites."""
        if self.objects is None:
            return list(object_ids)
        return [i for i in object_ids if i in self.objects]


def check_mask_objects(specs: Mapping[str, MaskSpec], object_ids: list[int]) -> None:
    """Raise :class:`VfxError` when a named mask lists objects the mask source does not hold.

    Without this a typo (``--set subject.objects=5`` with only object 1 tracked)
    renders an empty subject and exits 0.
    """
    for spec in specs.values():
        missing = sorted(set(spec.objects or ()) - set(object_ids))
        if missing:
            have = ", ".join(map(str, object_ids)) or "none"
            raise VfxError(
                f"mask '{spec.name}' uses object {', '.join(map(str, missing))}, but the masks "
                f"hold objects {have}; fix the preset or --set {spec.name}.objects"
            )


@dataclass(frozen=True)
class LayerSpec:
    """One layer as written in the preset: an effect applied through a region."""

    effect: str
    params: dict[str, Any] = field(default_factory=dict)
    region: str = "all"
    blend: str = "normal"
    opacity: float = 1.0


@dataclass(frozen=True)
class OutputSpec:
    """Encoder settings the preset asks for (the output format follows the file extension)."""

    crf: int = 18
    preset: str = "medium"


@dataclass(frozen=True)
class Preset:
    """A validated preset.

    Attributes:
        name: the preset's name (``background-blur``).
        description: one sentence for ``vfx presets list``.
        masks: named masks by name, in file order.
        layers: effect layers, applied in order.
        output: encoder settings.
        path: the YAML file it came from (None for a shipped preset).
        base_dir: where relative asset paths in effect parameters resolve.
    """

    name: str
    description: str
    masks: dict[str, MaskSpec]
    layers: tuple[LayerSpec, ...]
    output: OutputSpec = OutputSpec()
    path: Path | None = None
    base_dir: Path | None = None

    def build_graph(self) -> Graph:
        """The effects graph for these layers."""
        from vfx.graph import Graph

        specs = [
            {
                "effect": layer.effect,
                "params": dict(layer.params),
                "region": layer.region,
                "blend": layer.blend,
                "opacity": layer.opacity,
            }
            for layer in self.layers
        ]
        return Graph.from_specs(specs, self.base_dir)
