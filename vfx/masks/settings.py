"""The settings of temporal smoothing and of refinement, as presets and scripts give them."""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sam2.config_values import type_name, typed_value
from vfx.errors import VfxError
from vfx.masks.optical_flow import PRESETS

MODES = ("median", "trimmed", "mean")
MOTION_MODELS = ("object", "dense")
_Settings = TypeVar("_Settings")


def reject_unknown(kind: str, given: dict[str, Any], allowed: list[str]) -> None:
    """Raise :class:`VfxError` naming every key of ``given`` that is not in ``allowed``."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise VfxError(
            f"unknown {kind} setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )


@dataclass(frozen=True)
class SmoothSettings:
    """How masks are smoothed over time (defaults are what presets get).

    Attributes:
        window: frames in the symmetric window, odd; 1 turns temporal filtering off.
        mode: how the window's (motion-compensated) values combine per pixel:
            ``median`` keeps steps sharp, ``trimmed`` averages all but the
            highest and lowest value, ``mean`` averages with binomial weights.
        low, high: hysteresis thresholds. A region of alpha >= ``low`` is kept
            only if it holds a pixel >= ``high``; everything else becomes 0.
            Kept regions keep their soft values.
        motion: warp neighbours onto the current frame with optical flow (needs frames).
        occlusion: distrust flow where a round trip through it does not come
            back (the pixel is hidden in the other frame).
        motion_model: ``object`` moves each object's mask by a similarity
            (shift, rotation, scale) fitted to the flow on the object, which
            keeps its outline crisp, and falls back to the dense flow where that
            motion does not explain what is seen (an occluder) or the fit fails;
            ``dense`` uses the flow per pixel.
        appearance_tolerance: a flow match whose grey level differs by more
            than this is not trusted.
        flow_width: flow is computed on frames downscaled to about this width.
        flow_preset: DIS preset, ``ultrafast``, ``fast`` or ``medium``.
        work_width: masks wider than this are smoothed at a resolution reduced by
            an integer factor to at most this width, and the results scaled back
            up (soft masks lose nothing visible; 1080p costs a quarter); 0
            smooths at full resolution.
    """

    window: int = 5
    mode: str = "trimmed"
    low: float = 0.1
    high: float = 0.5
    motion: bool = True
    occlusion: bool = True
    motion_model: str = "object"
    appearance_tolerance: float = 24.0
    flow_width: int = 256
    flow_preset: str = "ultrafast"
    work_width: int = 960

    def __post_init__(self) -> None:
        if self.window < 1 or self.window % 2 == 0:
            raise VfxError(
                f"smooth window must be an odd number >= 1, got {self.window}; use 1, 3, 5, 7, ..."
            )
        if self.mode not in MODES:
            raise VfxError(f"smooth mode {self.mode!r} is unknown; allowed: {', '.join(MODES)}")
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise VfxError(
                f"smooth thresholds need 0 <= low <= high <= 1, got low={self.low} "
                f"high={self.high}; fix them in the preset"
            )
        if self.motion_model not in MOTION_MODELS:
            raise VfxError(
                f"smooth motion_model {self.motion_model!r} is unknown; "
                f"allowed: {', '.join(MOTION_MODELS)}"
            )
        if self.appearance_tolerance <= 0:
            raise VfxError(
                f"smooth appearance_tolerance must be > 0, got {self.appearance_tolerance}"
            )
        if self.flow_width < 16:
            raise VfxError(f"smooth flow_width must be >= 16, got {self.flow_width}")
        if self.work_width != 0 and self.work_width < 16:
            raise VfxError(
                f"smooth work_width must be 0 (full resolution) or >= 16, got {self.work_width}"
            )
        if self.flow_preset not in PRESETS:
            raise VfxError(
                f"smooth flow_preset {self.flow_preset!r} is unknown; allowed: {', '.join(PRESETS)}"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SmoothSettings:
        """Validated settings from a preset's ``smooth:`` mapping (``None`` gives the defaults)."""
        return _from_dict(cls, "smooth", data)


def _from_dict(cls: type[_Settings], kind: str, data: dict[str, Any] | None) -> _Settings:
    """Build a settings dataclass from a mapping, checking names and types (by the fields'
    type hints, through :func:`sam2.config_values.typed_value`)."""
    if data is not None and not isinstance(data, dict):
        raise VfxError(f"{kind} settings must be a mapping of name: value, got {data!r}")
    given = dict(data or {})
    hints = typing.get_type_hints(cls)
    known = {field.name: hints[field.name] for field in fields(cls)}  # type: ignore[arg-type]
    reject_unknown(kind, given, list(known))
    values = {}
    for key, value in given.items():
        try:
            values[key] = typed_value(value, known[key])
        except TypeError:
            raise VfxError(
                f"{kind} setting {key} must be of type {type_name(known[key])}, got {value!r}; "
                "fix it in the preset or the call"
            ) from None
    return cls(**values)


@dataclass(frozen=True)
class RefineSettings:
    """How a soft mask's shape and edge are refined (defaults change nothing).

    Steps run in this order: fill holes, remove islands, grow/shrink, guided
    filter, feather.

    Attributes:
        fill_holes: fill holes of at most this many pixels (0: off).
        remove_islands: remove separate blobs smaller than this many pixels (0: off).
        grow, shrink: the mask grows by ``grow - shrink`` pixels (shrinks if negative).
        guided_radius: edge-aware refinement with the frame as guide, window
            radius in pixels (0: off; needs the frame).
        guided_eps: guided-filter regularisation for a guide in 0..1.
        guided_subsample: compute the guided filter at 1/N resolution
            (0: automatic, about 270 px on the short side).
        feather: soften the edge over about this many pixels.
    """

    fill_holes: int = 0
    remove_islands: int = 0
    grow: float = 0.0
    shrink: float = 0.0
    guided_radius: int = 0
    guided_eps: float = 1e-3
    guided_subsample: int = 0
    feather: float = 0.0

    def __post_init__(self) -> None:
        for name in (
            "fill_holes",
            "remove_islands",
            "guided_radius",
            "guided_subsample",
            "feather",
        ):
            if getattr(self, name) < 0:
                raise VfxError(f"refine setting {name} must be >= 0, got {getattr(self, name)}")
        if self.guided_eps <= 0:
            raise VfxError(
                f"refine setting guided_eps must be > 0, got {self.guided_eps}; try 1e-3"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RefineSettings:
        """Validated settings from a preset's ``refine:`` mapping (``None`` gives the defaults)."""
        return _from_dict(cls, "refine", data)

    @property
    def is_identity(self) -> bool:
        """Whether these settings leave every mask unchanged."""
        return (
            self.fill_holes == 0
            and self.remove_islands == 0
            and self.grow == self.shrink
            and self.guided_radius == 0
            and self.feather == 0
        )
