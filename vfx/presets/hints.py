"""``--set`` examples for a preset, built from its own layers so that every one is valid."""

from __future__ import annotations

from typing import Any

from effects.core.params import ParamSpec
from vfx.presets.preset import Preset

_KIND_ORDER = ("float", "int", "choice", "bool")


def _new_value(value: Any, spec: ParamSpec) -> str | None:
    """A value for the parameter that differs from ``value`` and that ``spec`` accepts."""
    if spec.kind in ("float", "int") and isinstance(value, (int, float)):
        # half as much again, or half as much where that leaves the allowed range
        target = value * 1.5 if value > 0 else 1.0
        if spec.high is not None and target > spec.high:
            target = value * 0.5
        if spec.low is not None and target < spec.low:
            return None
        if spec.kind == "int" or abs(target) >= 10:
            return str(round(target))
        return f"{round(target, 2):g}"
    if spec.kind == "choice":
        other = [choice for choice in spec.choices if choice != str(value)]
        return other[0] if other else None
    if spec.kind == "bool":
        return "false" if value else "true"
    return None


def set_examples(preset: Preset) -> list[str]:
    """Up to three ``LAYER.PARAM=VALUE`` overrides that :func:`load_preset` accepts for
    ``preset``: a layer parameter (numbers first), a mask's smoothing window, the output crf."""
    examples = []
    graph = preset.build_graph()
    candidates = []
    for index, layer in enumerate(graph.layers):
        values = layer.effect.params()
        for name, spec in type(layer.effect).param_specs().items():
            if spec.kind in _KIND_ORDER:
                candidates.append((_KIND_ORDER.index(spec.kind), index, name, values[name], spec))
    for _, index, name, value, spec in sorted(candidates, key=lambda c: (c[0], c[1])):
        new = _new_value(value, spec)
        if new is not None:
            examples.append(f"{index}.{name}={new}")
            break
    smoothed = [spec for spec in preset.masks.values() if spec.smooth is not None]
    if smoothed:
        window = int((smoothed[0].smooth or {}).get("window", 5))
        examples.append(f"{smoothed[0].name}.smooth.window={window + 2}")
    examples.append(f"output.crf={preset.output.crf + 2}")
    return examples
