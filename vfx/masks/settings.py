"""The settings of temporal smoothing, as presets and scripts give them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from vfx.errors import VfxError
from vfx.masks.optical_flow import PRESETS

MODES = ("median", "trimmed", "mean")


def reject_unknown(kind: str, given: dict[str, Any], allowed: list[str]) -> None:
    """Raise :class:`VfxError` naming every key of ``given`` that is not in ``allowed``."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise VfxError(
            f"unknown {kind} setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )


def coerce(kind: str, name: str, value: Any, expected: type) -> Any:
    """``value`` as ``expected`` (int, float, bool or str), else a :class:`VfxError`."""
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected) and not isinstance(value, bool)
    if not ok:
        raise VfxError(
            f"{kind} setting {name} must be of type {expected.__name__}, got {value!r}; "
            "fix it in the preset or the call"
        )
    return expected(value)


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
        occlusion: ignore neighbours where forward and backward flow disagree.
        flow_width: flow is computed on frames downscaled to about this width.
        flow_preset: DIS preset, ``ultrafast``, ``fast`` or ``medium``.
    """

    window: int = 5
    mode: str = "trimmed"
    low: float = 0.1
    high: float = 0.5
    motion: bool = True
    occlusion: bool = True
    flow_width: int = 480
    flow_preset: str = "ultrafast"

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
        if self.flow_width < 16:
            raise VfxError(f"smooth flow_width must be >= 16, got {self.flow_width}")
        if self.flow_preset not in PRESETS:
            raise VfxError(
                f"smooth flow_preset {self.flow_preset!r} is unknown; allowed: {', '.join(PRESETS)}"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SmoothSettings:
        """Validated settings from a preset's ``smooth:`` mapping (``None`` gives the defaults)."""
        data = dict(data or {})
        known = {field.name: field.type for field in fields(cls)}
        reject_unknown("smooth", data, list(known))
        types = {"int": int, "float": float, "bool": bool, "str": str}
        return cls(
            **{key: coerce("smooth", key, value, types[known[key]]) for key, value in data.items()}
        )
