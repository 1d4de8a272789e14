"""Objects without clicks: segment one frame automatically, pick candidates, prompt with masks.

``--auto [FRAME:]MODE`` (DESIGN.md §4) runs the automatic mask generator on FRAME (default 0),
numbers the candidates by area (largest is 1, as ``vfx segment`` shows them) and chooses:

- ``largest``: candidate 1;
- ``center``: among the candidates covering the frame's centre pixel, the one with the best
  predicted IoU (if none covers it, the one whose centroid is nearest the centre);
- ``all[:MIN_AREA]``: every candidate covering at least MIN_AREA of the frame (a fraction,
  default 0: all of them);
- ``ids:3,5``: those candidates.

The chosen masks become mask prompts on FRAME for objects 1, 2, ... in that order, so the
masklet cache keys on them like on any prompts. The candidates themselves are cached too
(:mod:`vfx.sources.auto_candidates`): a second run finds them without the generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vfx.errors import VfxError
from vfx.prompts.model import FramePrompt, ObjectPrompts
from vfx.sources.auto_candidates import Candidate, frame_candidates

AUTO_SYNTAX = "--auto [FRAME:]largest|center|all[:MIN_AREA]|ids:N,N (e.g. --auto 12:ids:3,5)"
MODES = ("largest", "center", "all", "ids")


@dataclass(frozen=True)
class AutoSpec:
    """A parsed ``--auto``: the frame to segment and how to choose among its candidates.

    Attributes:
        frame: frame index (0-based).
        mode: one of :data:`MODES`.
        min_area: for ``all``, the smallest area kept, as a fraction of the frame.
        ids: for ``ids``, candidate numbers (from 1, largest first).
    """

    frame: int = 0
    mode: str = "largest"
    min_area: float = 0.0
    ids: tuple[int, ...] = ()


def _bad(text: str, why: str) -> VfxError:
    return VfxError(f"cannot read --auto '{text}': {why}; use {AUTO_SYNTAX}")


def parse_auto(text: str, default_frame: int = 0) -> AutoSpec:
    """Parse ``[FRAME:]MODE`` (see the module docstring) into an :class:`AutoSpec`; FRAME
    defaults to ``default_frame``."""
    parts = text.strip().split(":")
    frame = default_frame
    if parts[0].strip().isdigit():
        frame = int(parts.pop(0))
    if not parts or parts[0].strip().lower() not in MODES:
        raise _bad(text, f"the mode must be one of {', '.join(MODES)}")
    mode, args = parts[0].strip().lower(), parts[1:]
    if mode in ("largest", "center"):
        if args:
            raise _bad(text, f"'{mode}' takes no value")
        return AutoSpec(frame, mode)
    if mode == "all":
        if len(args) > 1:
            raise _bad(text, "'all' takes one MIN_AREA")
        try:
            min_area = float(args[0]) if args else 0.0
        except ValueError:
            raise _bad(text, f"MIN_AREA must be a number, got '{args[0]}'") from None
        if not 0.0 <= min_area < 1.0:
            raise _bad(text, f"MIN_AREA is a fraction of the frame in [0, 1), got {min_area}")
        return AutoSpec(frame, mode, min_area=min_area)
    if len(args) != 1 or not args[0].strip():
        raise _bad(text, "'ids' needs candidate numbers, e.g. ids:3,5")
    try:
        ids = tuple(int(v) for v in args[0].split(","))
    except ValueError:
        raise _bad(text, f"candidate numbers must be whole numbers, got '{args[0]}'") from None
    if min(ids) < 1 or len(set(ids)) != len(ids):
        raise _bad(text, "candidate numbers start at 1 and may not repeat")
    return AutoSpec(frame, mode, ids=ids)


def choose_candidates(candidates: list[Candidate], spec: AutoSpec) -> list[Candidate]:
    """The candidates ``spec`` asks for, in object order. Raises :class:`VfxError` when it
    picks none (no candidates at all, or none large enough) or names a missing number."""
    if not candidates:
        raise VfxError(
            f"the automatic masks found no objects on frame {spec.frame}; try another frame, "
            "or lower the thresholds with `vfx segment` to see candidates"
        )
    if spec.mode == "largest":
        return candidates[:1]
    if spec.mode == "center":
        return [_center_candidate(candidates)]
    if spec.mode == "all":
        frame_area = candidates[0].mask.size
        chosen = [c for c in candidates if c.area >= spec.min_area * frame_area]
        if not chosen:
            raise VfxError(
                f"no candidate on frame {spec.frame} covers {spec.min_area:.3g} of the frame "
                f"(the largest covers {candidates[0].area / frame_area:.3g}); lower MIN_AREA"
            )
        return chosen
    missing = [n for n in spec.ids if n > len(candidates)]
    if missing:
        raise VfxError(
            f"frame {spec.frame} has candidates 1 to {len(candidates)}, not "
            f"{', '.join(map(str, missing))}; run `vfx segment` to see their numbers"
        )
    return [candidates[n - 1] for n in spec.ids]


def _center_candidate(candidates: list[Candidate]) -> Candidate:
    height, width = candidates[0].mask.shape
    cy, cx = height // 2, width // 2
    covering = [c for c in candidates if c.mask[cy, cx]]
    if covering:
        return max(covering, key=lambda c: c.score)

    def distance(candidate: Candidate) -> float:
        ys, xs = np.nonzero(candidate.mask)
        return float(np.hypot(xs.mean() - cx, ys.mean() - cy))

    return min(candidates, key=distance)


def candidate_prompts(chosen: list[Candidate], frame: int) -> list[ObjectPrompts]:
    """Mask prompts on ``frame`` for objects 1, 2, ... (named after their candidate number)."""
    return [
        ObjectPrompts(id=index, name=f"auto{c.id}", prompts=[FramePrompt(frame=frame, mask=c.mask)])
        for index, c in enumerate(chosen, start=1)
    ]


def check_auto(
    auto: str | AutoSpec | None, *others: object, default_frame: int = 0
) -> AutoSpec | None:
    """``auto`` parsed (cheap, before any model loads), or None; raises :class:`VfxError` when
    another mask source or prompts (``others``, any truthy value) are given too."""
    if auto is None:
        return None
    if any(others):
        raise VfxError(
            "--auto picks the objects itself; give it without --point/--box/--prompts, "
            "--masks or --chroma"
        )
    return parse_auto(auto, default_frame) if isinstance(auto, str) else auto


def auto_prompts(
    video: Any,
    auto: str | AutoSpec,
    *,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    generator_options: Mapping[str, Any] | None = None,
    cache_dir: str | Path | None = None,
) -> list[ObjectPrompts]:
    """Mask prompts for the objects ``auto`` picks on an open video (a
    :class:`~vfx.io.video_source.VideoReader`). The frame index is checked before any model
    loads; the candidates come from the candidate cache under ``cache_dir`` (the masklet cache
    root) when an earlier run made them (:func:`~vfx.sources.auto_candidates.frame_candidates`).
    """
    spec = parse_auto(auto) if isinstance(auto, str) else auto
    count = video.info.frame_count
    if not 0 <= spec.frame < count:
        raise VfxError(
            f"--auto frame {spec.frame} is outside this {count}-frame video; use 0 to {count - 1}"
        )
    candidates = frame_candidates(
        video,
        spec.frame,
        model=model,
        checkpoint=checkpoint,
        device=device,
        generator_options=generator_options,
        cache_dir=cache_dir,
    )
    return candidate_prompts(choose_candidates(candidates, spec), spec.frame)
