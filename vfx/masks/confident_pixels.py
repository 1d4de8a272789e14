"""What a window of aligned votes may change in a mask: smoothing that does no harm.

A soft mask has confident pixels (clearly on or clearly off) and an uncertain
band (soft edges, faint regions). Temporal smoothing may

* set uncertain pixels freely (they take the window's combined value);
* soften confident pixels within ``band`` pixels of the mask's outline, but
  never move them across 0.5: the outline stays where the mask put it;
* overturn confident pixels only where the evidence against them is
  overwhelming and consistent: most of the window's trustworthy votes say the
  opposite (a single-frame dropout, a spurious blob), over a solid area rather
  than a sliver along an edge (a sliver is misalignment, not evidence);
* never raise a mask where another object's mask holds the pixel with
  confidence (masks are visible-only: a hidden part is not filled back in).

Everything else keeps its raw value exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

CONFIDENT_ON = 0.9
"""Raw probability at or above which a pixel is confidently inside its object."""
CONFIDENT_OFF = 0.1
"""Raw probability at or below which a pixel is confidently outside its object."""
OVERTURN_SHARE = 0.75
"""Share of the window's other frames whose trustworthy votes must disagree to overturn a pixel."""
# Just below 0.5: the largest value that still reads as "off".
_BELOW_HALF = float(np.nextafter(np.float32(0.5), np.float32(0.0)))
# The uncertain band as inclusive float32 bounds, strictly between the confident levels.
_UNCERTAIN = (
    float(np.nextafter(np.float32(CONFIDENT_OFF), np.float32(1.0))),
    float(np.nextafter(np.float32(CONFIDENT_ON), np.float32(0.0))),
)
_SQUARE = np.ones((3, 3), np.uint8)


def uncertain(raw: np.ndarray) -> np.ndarray:
    """``[h, w]`` bool: raw float32 probabilities strictly between the confident levels."""
    return cv2.inRange(raw, *_UNCERTAIN) > 0


def votes_needed(neighbours: int) -> int:
    """Disagreeing trustworthy votes that overturn a confident pixel, for a window of
    ``neighbours`` other frames (never fewer than two: one frame is never overwhelming)."""
    return max(2, math.ceil(OVERTURN_SHARE * neighbours))


def overturned(
    raw: np.ndarray,
    votes: Sequence[np.ndarray],
    trusted: Sequence[np.ndarray | None],
    needed: int,
    offsets: Sequence[int] | None = None,
) -> np.ndarray:
    """``[h, w]`` bool: confident pixels that the window overwhelmingly contradicts.

    Args:
        raw: ``[h, w]`` float32 raw probabilities of the current frame.
        votes: the other frames' ``[h, w]`` values, aligned onto the current frame.
        trusted: per vote, ``[h, w]`` bool where it is trustworthy (``None``: everywhere).
        needed: disagreeing trustworthy votes required (:func:`votes_needed`).
        offsets: each vote's frame offset; when given, a pixel also needs a
            disagreeing vote from before and one from after the current frame
            (for votes nothing has verified: an object that moves would
            otherwise be pulled towards where it goes at the ends of a video).

    A pixel is overturned when at least ``needed`` trustworthy votes lie on the
    other side of 0.5; the result is opened with a 3x3 square, so that slivers
    one or two pixels wide (edges of misaligned votes) never count.
    """
    on = raw >= 0.5
    against = np.zeros(raw.shape, np.uint8)
    before = np.zeros(raw.shape, bool)
    after = np.zeros(raw.shape, bool)
    for index, (vote, ok) in enumerate(zip(votes, trusted, strict=True)):
        disagree = (vote >= 0.5) != on
        if ok is not None:
            disagree &= ok
        against += disagree
        if offsets is not None:
            side = before if offsets[index] < 0 else after
            side |= disagree
    flip = (against >= needed) & ~uncertain(raw)
    if offsets is not None:
        flip &= before & after
    if not flip.any():
        return flip
    return cv2.morphologyEx(flip.view(np.uint8), cv2.MORPH_OPEN, _SQUARE).view(bool)


def guard(
    raw: np.ndarray,
    smoothed: np.ndarray,
    flip: np.ndarray,
    others_hold: np.ndarray | None,
    band: int,
) -> np.ndarray:
    """Apply the rules of this module: the smoothed values where they may change the mask.

    Args:
        raw: ``[h, w]`` float32 raw probabilities.
        smoothed: ``[h, w]`` float32 values the window proposes.
        flip: ``[h, w]`` bool, the overturned pixels (:func:`overturned`).
        others_hold: ``[h, w]`` bool where another object's mask is confidently
            on (``None``: nowhere).
        band: confident pixels this close (in pixels) to the outline may soften.

    Returns:
        A new ``[h, w]`` float32 array.
    """
    side = (raw >= 0.5) ^ flip  # where the mask is on after overturning
    side8 = side.view(np.uint8)
    if band > 0:
        size = 2 * band + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
        edge = cv2.dilate(side8, kernel) != cv2.erode(side8, kernel)
    else:
        edge = np.zeros(raw.shape, bool)
    changing = edge | flip  # confident pixels here soften (or flip) but keep their side
    out = raw.copy()
    np.copyto(out, cv2.max(smoothed, 0.5), where=changing & side)
    np.copyto(out, cv2.min(smoothed, _BELOW_HALF), where=changing & ~side)
    np.copyto(out, smoothed, where=uncertain(raw))
    if others_hold is not None:
        np.copyto(out, cv2.min(out, raw), where=others_hold)
    return out


def others_confident(stack: np.ndarray, obj: int) -> np.ndarray | None:
    """``[N, h, w]`` probabilities -> ``[h, w]`` bool where an object other than ``obj``
    is confidently on (``None`` when there is no other object)."""
    held = None
    for index, plane in enumerate(stack):
        if index != obj:
            mine = plane > _UNCERTAIN[1]
            held = mine if held is None else np.logical_or(held, mine, out=held)
    return held
