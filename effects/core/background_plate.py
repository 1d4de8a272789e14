"""A running background plate: what each pixel looks like when no object covers it.

Erasing an object means showing what was behind it. Where the object moves, or
the camera holds still while it passes, other frames saw that background; the
masks say which pixels were uncovered in which frame. :class:`BackgroundPlate`
streams frames in order and keeps, per pixel, the colour from the latest frame
in which it was uncovered. Pixels never uncovered so far are looked up in a
short window of later frames (nearest first), so an object that walks away
later is erased from the start too. Memory is the plate plus ``lookahead``
frames, whatever the video's length.

The plate assumes a steady camera; the erase effect checks it against the
pixels around each hole and falls back to spatial inpainting where it disagrees.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import cv2
import numpy as np

Payload = TypeVar("Payload")

# Mask level above which a pixel counts as covered by an object.
COVER_LEVEL = 0.05


@dataclass(frozen=True)
class PlateView:
    """The plate as seen from one frame.

    Attributes:
        image: ``[H, W, 3]`` uint8 background colours.
        known: ``[H, W]`` bool, True where some frame (earlier, or up to the lookahead
            later) saw the background.
    """

    image: np.ndarray
    known: np.ndarray


class BackgroundPlate(Generic[Payload]):
    """Streams ``(payload, rgb, cover)`` in frame order and returns each payload with its
    :class:`PlateView`, ``lookahead`` frames later.

    Args:
        lookahead: later frames searched for pixels never seen uncovered so far.
        grow: pixels the covered region is grown by before it counts as background
            (soft mask edges and shadows stay out of the plate).
    """

    def __init__(self, lookahead: int = 8, grow: int = 4) -> None:
        self.lookahead = lookahead
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        self._ahead: deque[tuple[Payload, np.ndarray, np.ndarray]] = deque()
        self._plate: np.ndarray | None = None  # [H, W, 3] uint8
        self._known: np.ndarray | None = None  # [H, W] bool

    def push(
        self, payload: Payload, rgb: np.ndarray, cover: np.ndarray
    ) -> Iterator[tuple[Payload, PlateView]]:
        """Add a frame (``rgb`` ``[H, W, 3]`` uint8, ``cover`` ``[H, W]`` float 0..1, the union
        of the objects' masks); yields the frames whose lookahead is now complete."""
        covered = cv2.dilate((cover > COVER_LEVEL).view(np.uint8), self._kernel)
        self._ahead.append((payload, rgb, covered == 0))
        while len(self._ahead) > self.lookahead:
            yield self._emit()

    def flush(self) -> Iterator[tuple[Payload, PlateView]]:
        """The remaining frames, at the end of the video."""
        while self._ahead:
            yield self._emit()

    def _emit(self) -> tuple[Payload, PlateView]:
        payload, rgb, visible = self._ahead.popleft()
        if self._plate is None or self._known is None:
            self._plate = np.zeros_like(rgb)
            self._known = np.zeros(visible.shape, bool)
        np.copyto(self._plate, rgb, where=visible[:, :, None])  # [H, W] -> [H, W, 1]
        self._known |= visible
        image, known = self._plate.copy(), self._known.copy()
        need = ~known
        if need.any():
            for _, later, later_visible in self._ahead:  # nearest first
                found = need & later_visible
                np.copyto(image, later, where=found[:, :, None])
                known |= found
                need &= ~found
                if not need.any():
                    break
        return payload, PlateView(image, known)
