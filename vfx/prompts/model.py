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
        leave: the object leaves the video here: its masklet is empty from this frame until a
            later prompt brings it back (a leave marker carries no points, box or mask).
    """

    frame: int
    points: list[list[float]] | None = None
    labels: list[int] | None = None
    box: list[float] | None = None
    mask: np.ndarray | None = None
    leave: bool = False


@dataclass
class ObjectPrompts:
    """One object to track: its id (from 1), display name and prompts, in frame order."""

    id: int
    name: str
    prompts: list[FramePrompt] = field(default_factory=list)

    @property
    def segment_prompts(self) -> list[FramePrompt]:
        """The prompts that show the object (clicks, boxes, masks), without leave markers."""
        return [fp for fp in self.prompts if not fp.leave]

    def absent_at(self, frame: int) -> bool:
        """Whether the object is out of the video on ``frame``: the latest prompt at or before
        it is a leave marker (a later click, box or mask brings the object back)."""
        before = [fp for fp in self.prompts if fp.frame <= frame]
        if not before:
            return False
        last = max(fp.frame for fp in before)
        return all(fp.leave for fp in before if fp.frame == last)
