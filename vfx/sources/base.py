"""What every mask source offers the renderer and the exporters.

A mask source turns frame indices (and, for sources that key on pixels, the
frames themselves) into per-object soft masks. The masklet store, imported
masks, the chroma keyer and the SAM 2 tracker's store all satisfy it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class MaskSource(Protocol):
    """Per-object soft masks, one set per frame.

    Attributes:
        object_ids: the objects, in a stable order.
        names: a display name per object id (defaults to ``"obj<id>"``).
        frame_count: number of frames the source covers, or ``None`` if it
            follows whatever frames it is given (the chroma keyer).
    """

    object_ids: list[int]
    names: dict[int, str]

    @property
    def frame_count(self) -> int | None:
        """Frames the source covers (``None``: any)."""
        ...

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """Masks for frame ``index``.

        Args:
            index: frame index in the source video.
            frame: ``[H, W, 3]`` uint8 RGB frame; needed only by sources that
                key on pixels.

        Returns:
            ``{object_id: [H, W] float32 in 0..1}`` for every object id.
        """
        ...
