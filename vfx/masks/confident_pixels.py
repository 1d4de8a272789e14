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
from collections.abc import Callable, Sequence

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
    smoothed: np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray],
    flip: np.ndarray | None,
    others: Sequence[np.ndarray],
    band: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Apply the rules of this module: the smoothed values where they may change the mask.

    Only the pixels that the rules let change are evaluated (the uncertain
    ones, the confident ones near the outline and the overturned ones); every
    other pixel is copied from ``raw``.

    Args:
        raw: ``[h, w]`` float32 raw probabilities.
        smoothed: ``[h, w]`` float32 values the window proposes, or a function
            ``(rows, cols) -> [K] float32`` giving them at ``K`` pixels.
        flip: ``[h, w]`` bool, the overturned pixels (:func:`overturned`), or ``None``.
        others: the other objects' ``[h, w]`` float32 raw probabilities; the
            mask never rises where one of them is confidently on.
        band: confident pixels this close (in pixels) to the outline may soften.
        out: ``[h, w]`` float32 to write into (may be a view); a new array by default.

    Returns:
        ``out``.
    """
    out = np.empty_like(raw) if out is None else out
    np.copyto(out, raw)
    # 255 where the mask is on (after overturning, below).
    side = cv2.compare(raw, 0.5, cv2.CMP_GE)  # type: ignore[call-overload]  # a scalar operand
    flip8 = None
    if flip is not None and flip.any():
        flip8 = flip.view(np.uint8) * np.uint8(255)
        np.bitwise_xor(side, flip8, out=side)
    settle = cv2.inRange(raw, *_UNCERTAIN)  # 255 where uncertain
    if band > 0:
        size = 2 * band + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
        # Dilation minus erosion: nonzero within ``band`` of the outline.
        cv2.bitwise_or(settle, cv2.morphologyEx(side, cv2.MORPH_GRADIENT, kernel), dst=settle)
    if flip8 is not None:
        cv2.bitwise_or(settle, flip8, dst=settle)
    points = cv2.findNonZero(settle)  # (x, y) int32 pairs; far faster than np.nonzero
    if points is None:
        return out
    points = points.reshape(-1, 2)  # [K, 1, 2] or [K, 2] -> [K, 2]
    cols, rows = points[:, 0], points[:, 1]
    values = smoothed(rows, cols) if callable(smoothed) else smoothed[rows, cols]
    here = raw[rows, cols]
    # Confident pixels soften (or flip) but keep their side; uncertain ones take the proposal.
    kept = np.where(side[rows, cols] > 0, np.maximum(values, 0.5), np.minimum(values, _BELOW_HALF))
    certain = (here < np.float32(_UNCERTAIN[0])) | (here > np.float32(_UNCERTAIN[1]))
    values = np.where(certain, kept, values)
    for plane in others:
        held = plane[rows, cols] > np.float32(_UNCERTAIN[1])
        values = np.where(held, np.minimum(values, here), values)
    out[rows, cols] = values
    return out
