"""Conforming a clip to what video diffusion models accept: 4n+1 frames, sides divisible by 16.

Wan (and so VACE) encodes video in groups of 4 frames after the first and in
16-pixel blocks, and expects 16 fps. :class:`Conform` says how to get there
(resample the frame rate, pad or trim the frame count, pad or resize the
sides); :meth:`Conform.plan` turns it into a :class:`ConformPlan` for one clip,
which maps every output frame to a source frame and reshapes images. The plan
is written into the export's sidecar so that results can be mapped back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TypeVar

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.limits import check_range
from vfx.mask_formats.choices import FRAME_MODES, SIDE_MODES

MAX_FPS = 1000
"""Highest frame rate a conformed export may ask for."""

BLOCK = 16
Item = TypeVar("Item")


@dataclass(frozen=True)
class Conform:
    """How to conform a clip.

    Attributes:
        frames: ``"pad"`` repeats the last frame up to the next 4n+1 count,
            ``"trim"`` drops frames down to the previous one, ``"none"`` keeps all.
        sides: ``"pad"`` extends right and bottom to multiples of 16 (edge pixels
            repeated in frames, "keep" in masks), ``"resize"`` scales to the
            nearest multiples of 16, ``"none"`` keeps the size.
        fps: resample to this frame rate (nearest source frame), or ``None``.
    """

    frames: str = "pad"
    sides: str = "pad"
    fps: float | None = None

    def __post_init__(self) -> None:
        if self.frames not in FRAME_MODES:
            raise VfxError(f"unknown --frames {self.frames!r}; use one of {', '.join(FRAME_MODES)}")
        if self.sides not in SIDE_MODES:
            raise VfxError(f"unknown --sides {self.sides!r}; use one of {', '.join(SIDE_MODES)}")
        if self.fps is not None:
            check_range(self.fps, "--fps", 0.01, MAX_FPS, "try --fps 16")

    def plan(self, frame_count: int, width: int, height: int, fps: float | None) -> ConformPlan:
        """The plan for a clip of ``frame_count`` frames of ``width`` x ``height`` at ``fps``."""
        indices = list(range(frame_count))
        out_fps = fps
        if self.fps is not None:
            if not fps:
                raise VfxError("the masks record no frame rate to resample; pass --video INPUT")
            out_fps = self.fps
            count = max(1, math.floor(frame_count * self.fps / fps + 1e-6))
            indices = [min(round(i * fps / self.fps), frame_count - 1) for i in range(count)]
        resampled = len(indices)
        if self.frames == "pad":
            indices += [indices[-1]] * ((-(resampled - 1)) % 4)
        elif self.frames == "trim":
            indices = indices[: resampled - (resampled - 1) % 4]
        out_w, out_h = width, height
        if self.sides == "pad":
            out_w, out_h = _round_up(width), _round_up(height)
        elif self.sides == "resize":
            out_w, out_h = _round_nearest(width), _round_nearest(height)
        return ConformPlan(
            frames=self.frames,
            sides=self.sides,
            source_frame_count=frame_count,
            resampled_frame_count=resampled,
            source_indices=indices,
            source_size=(width, height),
            size=(out_w, out_h),
            source_fps=fps,
            fps=out_fps,
        )


def _round_up(side: int) -> int:
    return -(-side // BLOCK) * BLOCK


def _round_nearest(side: int) -> int:
    return max(BLOCK, int(side / BLOCK + 0.5) * BLOCK)  # halves round up, not to even


@dataclass(frozen=True)
class ConformPlan:
    """One clip's conform: ``source_indices[i]`` is the source frame of output frame ``i``.

    Attributes:
        frames, sides: the modes used.
        source_frame_count: frames in the source.
        resampled_frame_count: frames after fps resampling, before padding/trimming.
        source_indices: source frame index per output frame.
        source_size, size: ``(width, height)`` before and after.
        source_fps, fps: frame rate before and after (``None`` if unknown).
    """

    frames: str
    sides: str
    source_frame_count: int
    resampled_frame_count: int
    source_indices: list[int]
    source_size: tuple[int, int]
    size: tuple[int, int]
    source_fps: float | None
    fps: float | None

    @property
    def frame_count(self) -> int:
        """Number of output frames."""
        return len(self.source_indices)

    def describe(self) -> dict:
        """The plan as JSON-able data for the sidecar."""
        data = asdict(self)
        data["source_size"], data["size"] = list(self.source_size), list(self.size)
        data["padded_frames"] = max(0, self.frame_count - self.resampled_frame_count)
        data["trimmed_frames"] = max(0, self.resampled_frame_count - self.frame_count)
        return data

    def image(self, image: np.ndarray, *, mask: bool) -> np.ndarray:
        """Reshape one ``[H, W]`` (mask) or ``[H, W, 3]`` (frame) uint8 image to :attr:`size`.

        Padding repeats edge pixels of frames and adds 0 ("keep") to masks.
        """
        width, height = self.source_size
        out_w, out_h = self.size
        if (out_w, out_h) == (width, height):
            return image
        if self.sides == "pad":
            border = cv2.BORDER_CONSTANT if mask else cv2.BORDER_REPLICATE
            return cv2.copyMakeBorder(image, 0, out_h - height, 0, out_w - width, border, value=0)
        shrink = out_w * out_h < width * height
        interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        return cv2.resize(image, (out_w, out_h), interpolation=interpolation)


def conformed_frames(frames: Iterable[Item], plan: ConformPlan) -> Iterator[Item]:
    """One item per output frame, from items with an ``index`` in source order.

    Source frames are repeated or skipped as ``plan.source_indices`` says, and
    reading stops after the last one needed.
    """
    wanted = iter(plan.source_indices)
    target = next(wanted, None)
    for frame in frames:
        while target == frame.index:  # type: ignore[attr-defined]
            yield frame
            target = next(wanted, None)
        if target is None:
            return
