"""What the user told the tracker about each object: clicks, boxes and masks per frame.

These plain records are shared by the prompt parsers (:mod:`vfx.prompts.parsing`), the
tracker, the masklet cache key and the preview. Coordinates are pixels of the
displayed (rotation-applied) frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FramePrompt:
    """The prompts for one object on one frame.

    Attributes:
        frame: frame index (0-based).
        points: ``[[x, y], ...]`` clicks in pixels, or None.
        labels: one label per point, 1 = on the object, 0 = background; None with no points.
        box: ``[x0, y0, x1, y1]`` in pixels, or None.
        mask: ``[H, W]`` bool mask of the object on this frame, or None.
    """

    frame: int
    points: list[list[float]] | None = None
    labels: list[int] | None = None
    box: list[float] | None = None
    mask: np.ndarray | None = None


@dataclass
class ObjectPrompts:
    """One object to track: its id (from 1), display name and prompts, in frame order."""

    id: int
    name: str
    prompts: list[FramePrompt] = field(default_factory=list)
