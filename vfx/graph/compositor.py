"""Layers (effect + region + blend mode + opacity) and the graph that composites them.

One call of :meth:`Graph.render_frame` does all of a frame's work in numpy and
OpenCV: evaluate each layer's region, let the effect paint, blend the paint
over the running frame. The running frame is one private uint8 buffer that
every layer updates in place. Regions and effects keep their working arrays
in the context's cache (:func:`effects.core.base.scratch`) and reuse them from frame
to frame, and pointwise effects render only the bounding box of their region.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from effects.core.base import (
    Effect,
    EffectContext,
    EffectOutput,
    as_uint8_rgb,
    mask_box,
    recycled,
    scratch,
)
from effects.core.blending import check_blend, composite, stack_alpha
from effects.core.registry import get_effect
from vfx.errors import VfxError
from vfx.graph.region_expressions import Region, parse_region
from vfx.safe_yaml import echo

LAYER_KEYS = ("effect", "params", "region", "blend", "opacity")


@dataclass(frozen=True)
class Layer:
    """One effect applied over one region.

    ``region`` is a region expression (a string, parsed on construction) or a
    parsed :class:`Region`. The effect's paint is blended over the running frame
    with ``blend`` and weighted by the region's alpha times ``opacity``.
    """

    effect: Effect
    region: Region | str = "all"
    blend: str = "normal"
    opacity: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.effect, Effect):
            raise VfxError(
                f"a layer needs an effect object such as Blur(), got {echo(self.effect)}"
            )
        if isinstance(self.region, str):
            object.__setattr__(self, "region", parse_region(self.region))
        check_blend(self.blend)
        problem = _opacity_problem(self.opacity)
        if problem:
            raise VfxError(f"layer {problem}")
        object.__setattr__(self, "opacity", float(self.opacity))

    @property
    def parsed_region(self) -> Region:
        """The region expression, parsed (a string ``region`` is parsed on construction)."""
        assert isinstance(self.region, Region)  # __post_init__ parsed a string
        return self.region

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_dir: Path | None = None) -> Layer:
        """Build a layer from preset data ``{effect, params, region, blend, opacity}``.

        Every problem of the layer (unknown keys, unknown effect, bad parameters,
        a bad region, blend or opacity) is reported in one VfxError.
        """
        if not isinstance(spec, Mapping):
            raise VfxError(f"a layer must be a mapping with keys {', '.join(LAYER_KEYS)}")
        problems = []
        unknown = [str(k) for k in spec if k not in LAYER_KEYS]
        if unknown:
            problems.append(f"unknown key {', '.join(unknown)} (allowed: {', '.join(LAYER_KEYS)})")
        effect_cls = None
        try:
            effect_cls = get_effect(spec.get("effect"))
        except VfxError as exc:
            problems.append(str(exc))
        params = spec.get("params") or {}
        if not isinstance(params, Mapping):
            problems.append(f"params must be a mapping of name: value, got {echo(params)}")
        elif effect_cls is not None:
            problems += [
                f"effect '{effect_cls.name}': {p}"
                for p in effect_cls.param_problems(params, base_dir)
            ]
        region_text = spec.get("region", "all")
        try:
            parse_region(region_text)
        except VfxError as exc:
            problems.append(str(exc))
        blend = spec.get("blend", "normal")
        try:
            check_blend(blend)
        except VfxError as exc:
            problems.append(str(exc))
        opacity = spec.get("opacity", 1.0)
        problem = _opacity_problem(opacity)
        if problem:
            problems.append(problem)
        if problems or effect_cls is None:
            raise VfxError("; ".join(problems))
        return cls(
            effect=effect_cls.from_params(params, base_dir),
            region=region_text,
            blend=blend,
            opacity=opacity,
        )


def _region_buffer(ctx: EffectContext, text: str, index: int, shape: tuple[int, int]) -> np.ndarray:
    """Working array ``index`` of region ``text``, reused from frame to frame."""
    return scratch(ctx, f"region {index}: {text}", shape, np.float32)


def _render_layer(
    effect: Effect, rgb: np.ndarray, region_alpha: np.ndarray, ctx: EffectContext
) -> EffectOutput | None:
    """What ``effect`` paints over ``region_alpha`` ``[H, W]``; None when it paints nothing.

    A pointwise effect renders only the region's bounding box.
    """
    if not effect.paints_inside_region:
        return effect.render(rgb, region_alpha, ctx)
    if not effect.pointwise:
        return effect.render(rgb, region_alpha, ctx) if cv2.hasNonZero(region_alpha) else None
    box = mask_box(region_alpha, level=0.0)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    if (x1 - x0, y1 - y0) == (rgb.shape[1], rgb.shape[0]):
        return effect.render(rgb, region_alpha, ctx)
    inner = (slice(y0, y1), slice(x0, x1))
    painted = effect.render(
        np.ascontiguousarray(rgb[inner]), np.ascontiguousarray(region_alpha[inner]), ctx
    )
    return dataclasses.replace(painted, box=box)


def _opacity_problem(opacity: object) -> str | None:
    if isinstance(opacity, bool) or not isinstance(opacity, int | float) or not 0 <= opacity <= 1:
        return f"opacity must be a number in 0..1, got {echo(opacity)}"
    return None


class Graph:
    """An ordered stack of layers; :meth:`render_frame` applies them to one frame.

    ``cache`` keeps background sources, generated images and working arrays
    between frames when the graph builds the :class:`EffectContext` itself; so
    threads that share one graph must each pass their own context (own cache).
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers: tuple[Layer, ...] = tuple(layers)
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise VfxError(
                    f"Graph takes Layer objects, got {echo(layer)}; wrap effects in Layer(...)"
                )
        self.cache: dict[Any, Any] = {}

    @classmethod
    def from_specs(cls, specs: Sequence[Mapping[str, Any]], base_dir: Path | None = None) -> Graph:
        """A graph from preset layer data; problems of all layers are reported together."""
        layers, problems = [], []
        for index, spec in enumerate(specs):
            try:
                layers.append(Layer.from_spec(spec, base_dir))
            except VfxError as exc:
                problems.append(f"layer {index}: {exc}")
        if problems:
            raise VfxError("; ".join(problems))
        return cls(layers)

    @property
    def makes_alpha(self) -> bool:
        """Whether frames come out RGBA (some layer makes transparency)."""
        return any(layer.effect.makes_alpha for layer in self.layers)

    @property
    def uses_background(self) -> bool:
        """Whether some layer reads the running background plate (``ctx.background``)."""
        return any(layer.effect.uses_background() for layer in self.layers)

    @property
    def mask_names(self) -> frozenset[str]:
        """Named masks the layers' regions refer to."""
        return frozenset().union(*(layer.parsed_region.names for layer in self.layers))

    @property
    def object_ids(self) -> frozenset[int]:
        """Object ids the layers' regions refer to as ``obj:N``."""
        return frozenset().union(*(layer.parsed_region.object_ids for layer in self.layers))

    def render_frame(
        self,
        frame: np.ndarray,
        masks: Mapping[str | int, np.ndarray] | None = None,
        ctx: EffectContext | None = None,
    ) -> np.ndarray:
        """Apply every layer to ``frame``; the input arrays are never modified.

        Args:
            frame: ``[H, W, 3]`` (or ``[H, W, 4]`` straight alpha) uint8, or float32 in 0..1.
            masks: named masks (str keys) and object masks (int keys), each
                ``[H, W]`` float32 in 0..1.
            ctx: the frame's context; when None one is built from the int-keyed
                masks (frame index 0) with this graph's cache.

        Returns:
            ``[H, W, 3]`` uint8, or ``[H, W, 4]`` with straight alpha when the
            graph makes alpha or the input had it.
        """
        masks = dict(masks or {})
        alpha = None
        if frame.ndim == 3 and frame.shape[2] == 4:
            alpha = np.array(frame[..., 3], dtype=np.uint8)
            frame = frame[..., :3]
        height, width = frame.shape[:2]
        if ctx is None:
            objects = {k: v for k, v in masks.items() if isinstance(k, int)}
            ctx = EffectContext.build(objects, size=(width, height), cache=self.cache)
        rgb = as_uint8_rgb(frame)
        if rgb is frame:  # the private running frame, in an array reused once it is let go
            rgb = recycled(ctx, "graph.frame", frame.shape)
            np.copyto(rgb, frame)
        lookup = masks  # the given masks win over the context's object masks
        for obj_id, object_mask in ctx.object_masks.items():
            lookup.setdefault(obj_id, object_mask)
        regions: dict[str, np.ndarray] = {}
        for layer in self.layers:
            region = layer.parsed_region
            region_alpha = regions.get(region.text)
            if region_alpha is None:
                region_alpha = regions[region.text] = region.evaluate(
                    lookup, (height, width), functools.partial(_region_buffer, ctx, region.text)
                )
            painted = _render_layer(layer.effect, rgb, region_alpha, ctx)
            if painted is None:
                continue  # e.g. the object is out of view in this frame
            rgb, alpha = composite(
                rgb, alpha, painted, blend=layer.blend, opacity=layer.opacity, in_place=True
            )
        if alpha is None and self.makes_alpha:
            alpha = np.full((height, width), 255, np.uint8)
        if alpha is None:
            return rgb
        return stack_alpha(rgb, alpha)
