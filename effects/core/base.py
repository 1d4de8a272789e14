"""The effect protocol: frozen parameter dataclasses with a pure ``apply``.

An effect turns one RGB frame into what it paints (:class:`EffectOutput`): an
image, and a per-pixel weight that says where that image applies. The layer
compositor (:mod:`vfx.graph`) blends the image over the running frame with the
layer's blend mode, weighted by that weight times the layer's opacity.
``Effect.apply`` does the same with the normal blend at full opacity, so an effect
can also be used on its own.

For most effects the weight is the region alpha itself. Effects whose region
means "the thing to work around" say so in their docstring: ``outline`` paints
a stroke around the region, ``spotlight`` darkens outside it, ``cutout`` makes
everything outside it transparent.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import cv2
import numpy as np

from effects.core.background_plate import PlateView
from effects.core.blending import composite, stack_alpha
from effects.core.colors import Color, object_color
from effects.core.params import ParamSpec, convert_value, format_value
from vfx.errors import VfxError


@dataclass(frozen=True)
class ObjectInfo:
    """One tracked object in the current frame.

    ``box`` is ``(x0, y0, x1, y1)`` in pixels (x1, y1 exclusive) around the pixels
    where the mask is above 0.5, or None when the object is not visible.
    """

    id: int
    name: str
    color: Color
    box: tuple[int, int, int, int] | None


@dataclass
class EffectContext:
    """Everything about the current frame that effects may read besides pixels.

    ``object_masks`` maps object id to its ``[H, W]`` float32 soft mask in 0..1.
    ``cache`` holds loaded background sources and generated images between
    frames: pass the same dict for every frame of one render.
    ``base_dir`` is the folder relative file names were resolved against.
    ``background`` is the running background plate (what each pixel looked like when
    no object covered it, :mod:`effects.core.background_plate`) when a render streams one
    for an effect that asks (:meth:`Effect.uses_background`), else None.
    """

    frame_index: int = 0
    time: float = 0.0
    size: tuple[int, int] = (0, 0)
    objects: Sequence[ObjectInfo] = field(default_factory=list)
    object_masks: dict[int, np.ndarray] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)
    base_dir: Path | None = None
    background: PlateView | None = None

    @classmethod
    def build(
        cls,
        object_masks: Mapping[int, np.ndarray],
        *,
        size: tuple[int, int] | None = None,
        names: Mapping[int, str] | None = None,
        frame_index: int = 0,
        time: float = 0.0,
        cache: dict[Any, Any] | None = None,
        base_dir: Path | None = None,
        background: PlateView | None = None,
    ) -> EffectContext:
        """A context whose objects (names, palette colours, boxes) come from the masks.

        ``size`` is ``(width, height)``; it defaults to the masks' size.
        """
        masks = {int(k): v for k, v in object_masks.items()}
        if size is None:
            if not masks:
                raise ValueError("EffectContext.build needs size= when there are no masks")
            first = next(iter(masks.values()))
            size = (first.shape[1], first.shape[0])
        return cls(
            frame_index=frame_index,
            time=time,
            size=size,
            objects=_ObjectInfos(masks, names or {}),
            object_masks=masks,
            cache={} if cache is None else cache,
            base_dir=base_dir,
            background=background,
        )


class _ObjectInfos(Sequence[ObjectInfo]):
    """:attr:`EffectContext.objects` of a context built from masks, made on first use: a
    box costs a pass over the object's whole mask, which most effects never look at."""

    def __init__(self, masks: Mapping[int, np.ndarray], names: Mapping[int, str]) -> None:
        self._masks = masks
        self._names = names
        self._infos: list[ObjectInfo] | None = None

    def _made(self) -> list[ObjectInfo]:
        if self._infos is None:
            self._infos = [
                ObjectInfo(
                    id=obj_id,
                    name=self._names.get(obj_id, f"object {obj_id}"),
                    color=object_color(obj_id),
                    box=mask_box(mask),
                )
                for obj_id, mask in sorted(self._masks.items())
            ]
        return self._infos

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # int or slice, as list's
        return self._made()[index]

    def __len__(self) -> int:
        return len(self._masks)

    def __iter__(self) -> Iterator[ObjectInfo]:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        return self._made() == (list(other) if isinstance(other, Sequence) else other)

    def __repr__(self) -> str:
        return repr(self._made())


def mask_box(mask: np.ndarray, level: float = 0.5) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` around the pixels of ``mask`` ``[H, W]`` above ``level``, or None."""
    on = (mask > level).view(np.uint8)
    x, y, w, h = cv2.boundingRect(on)
    if w == 0 or h == 0:
        return None
    return (x, y, x + w, y + h)


@dataclass(frozen=True)
class EffectOutput:
    """What an effect paints.

    The arrays may be scratch buffers of the effect (see :func:`scratch`), valid
    until the next render with the same ``ctx.cache``: use them before then.

    ``image``: ``[H, W, 3]`` uint8 colours, or None when colours stay as they are.
    ``weight``: ``[H, W]`` float32 in 0..1, how much of the effect each pixel gets.
    ``opacity``: None when the effect leaves transparency alone; otherwise the
    ``[H, W]`` uint8 alpha (or a scalar 0..255) that weighted pixels move towards.
    ``box``: None when the arrays cover the whole frame; else ``(x0, y0, x1, y1)``
    (x1, y1 exclusive): the arrays cover only ``frame[y0:y1, x0:x1]`` and the
    weight is 0 everywhere else, so effects that paint small areas stay cheap.
    """

    image: np.ndarray | None
    weight: np.ndarray
    opacity: np.ndarray | int | None = None
    box: tuple[int, int, int, int] | None = None


_Built = TypeVar("_Built", bound="Effect")


@dataclass(frozen=True)
class Effect:
    """Base class of every effect: parameters are the dataclass fields.

    Subclasses are frozen dataclasses, set ``name`` and implement :meth:`render`.
    """

    name: ClassVar[str] = ""
    makes_alpha: ClassVar[bool] = False
    # True when the effect paints nothing where the region is 0, so a layer
    # whose region is empty in a frame can be skipped.
    paints_inside_region: ClassVar[bool] = True
    # True when each output pixel depends only on the same input pixel, so the
    # compositor may render just the bounding box of the region.
    pointwise: ClassVar[bool] = False

    def __post_init__(self) -> None:
        problems = []
        for spec_field in dataclasses.fields(self):
            spec = spec_field.metadata.get("param")
            if spec is None:
                continue
            try:
                value = convert_value(spec, getattr(self, spec_field.name), None)
            except ValueError as exc:
                problems.append(f"'{spec_field.name}': {exc}")
                continue
            object.__setattr__(self, spec_field.name, value)
        if problems:
            raise VfxError(f"effect '{self.name}': " + "; ".join(problems))

    @classmethod
    def param_specs(cls) -> dict[str, ParamSpec]:
        """The parameters in declaration order, with their docs and allowed values."""
        return {
            f.name: f.metadata["param"] for f in dataclasses.fields(cls) if "param" in f.metadata
        }

    @classmethod
    def param_problems(cls, params: Mapping[str, Any], base_dir: Path | None = None) -> list[str]:
        """Every problem with ``params`` (unknown names, bad values), without raising."""
        return _convert_params(cls, params, base_dir)[1]

    @classmethod
    def from_params(
        cls: type[_Built], params: Mapping[str, Any] | None, base_dir: Path | None = None
    ) -> _Built:
        """Build the effect from preset parameters; relative paths resolve against ``base_dir``.

        Raises :class:`VfxError` naming every unknown parameter and bad value at once.
        """
        values, problems = _convert_params(cls, params or {}, base_dir)
        if problems:
            raise VfxError(f"effect '{cls.name}': " + "; ".join(problems))
        return cls(**values)

    def params(self) -> dict[str, Any]:
        """The parameter values as a preset would hold them (colours as ``#rrggbb``)."""
        return {name: format_value(getattr(self, name)) for name in self.param_specs()}

    def uses_background(self) -> bool:
        """Whether this effect reads ``ctx.background`` (the render then streams a plate)."""
        return False

    def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
        """Paint the effect for ``frame`` ``[H, W, 3]`` uint8 over region ``alpha`` ``[H, W]``."""
        raise NotImplementedError

    def apply(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> np.ndarray:
        """The frame with this effect applied over ``alpha``; never modifies its inputs.

        ``frame``: ``[H, W, 3]`` uint8 (float32 in 0..1 is converted).
        ``alpha``: ``[H, W]`` float32 in 0..1. Returns ``[H, W, 3]`` uint8, or
        ``[H, W, 4]`` with straight alpha for effects that make transparency.
        """
        rgb = as_uint8_rgb(frame)
        out, opacity = composite(rgb, None, self.render(rgb, alpha, ctx), blend="normal", opacity=1)
        if opacity is None:
            return out
        return stack_alpha(out, opacity)


def scratch(
    ctx: EffectContext, tag: str, shape: tuple[int, ...], dtype: type = np.uint8
) -> np.ndarray:
    """An uninitialised C-contiguous ``shape`` array of ``dtype``, kept in ``ctx.cache``.

    Effects write their per-frame intermediates and outputs into these instead
    of fresh arrays: at 1080p a fresh array costs a page fault per 4 KiB, often
    more than the arithmetic that fills it. Every ``tag`` names one buffer of
    one effect (``"edges.grey"``); it is valid until the next call with that tag.
    The memory grows to the largest shape asked for and is then reused, so
    shapes that change from frame to frame (a moving box) cost nothing extra.
    """
    key = ("scratch", tag, np.dtype(dtype).str)
    size = math.prod(shape)
    memory = ctx.cache.get(key)
    if memory is None or memory.size < size:
        memory = ctx.cache[key] = np.empty(size, dtype)
    return memory[:size].reshape(shape)


RECYCLED_POOL_LIMIT = 64
"""Most arrays one :func:`recycled` pool keeps (frames in flight stay far below it)."""


def recycled(
    ctx: EffectContext, tag: str, shape: tuple[int, ...], dtype: type = np.uint8
) -> np.ndarray:
    """An uninitialised C-contiguous ``shape`` array of ``dtype`` for a result that leaves
    the call (a rendered frame on its way to the encoder), from a pool in ``ctx.cache``.

    Unlike :func:`scratch`, the array stays the caller's for as long as anyone holds it:
    an array of the pool is handed out again only once nothing outside the pool refers
    to it (a view of it, a queue slot, a variable anywhere). A render thus cycles
    through as many arrays as it has frames in flight, each of whose pages was touched
    once, instead of page-faulting a fresh array in every frame.
    """
    pool = ctx.cache.setdefault(("recycled", tag, np.dtype(dtype).str, tuple(shape)), [])
    for array in pool:
        # The pool's list, this loop's variable and getrefcount's argument: no one else.
        if sys.getrefcount(array) == 3:
            return array
    array = np.empty(shape, dtype)
    if len(pool) < RECYCLED_POOL_LIMIT:  # a bound, should refcounts ever read otherwise
        pool.append(array)
    return array


def as_uint8_rgb(frame: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` uint8 from uint8 or float (0..1) RGB; uint8 input is returned as is."""
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected an [H, W, 3] RGB frame, got shape {frame.shape}")
    if frame.dtype == np.uint8:
        return frame
    return np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)


def _convert_params(
    cls: type[Effect], params: Mapping[str, Any], base_dir: Path | None
) -> tuple[dict[str, Any], list[str]]:
    specs = cls.param_specs()
    values: dict[str, Any] = {}
    problems = []
    unknown = [str(k) for k in params if k not in specs]
    if unknown:
        problems.append(
            "unknown parameter "
            + ", ".join(repr(k) for k in unknown)
            + f" (allowed: {', '.join(specs) or 'none'})"
        )
    for key, value in params.items():
        if key not in specs:
            continue
        try:
            values[key] = convert_value(specs[key], value, base_dir)
        except ValueError as exc:
            problems.append(f"'{key}': {exc}")
    return values, problems
