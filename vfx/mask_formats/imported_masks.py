"""Masks read from disk as a mask source: what every format's reader returns (see
:mod:`vfx.sources.imported` for the layouts ``--masks`` accepts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from vfx import limits
from vfx.errors import VfxError

Reader = Callable[[int], dict[int, np.ndarray]]


class ImportedMasks:
    """A :class:`~vfx.sources.base.MaskSource` over masks read from disk.

    Attributes:
        path: what was imported.
        object_ids: object ids, ascending.
        names: display name per object id.
        frame_count: number of frames.
        size: ``(width, height)`` of every mask.
        fps: frame rate if the input records one (mask videos, vfx exports), else ``None``.
        description: the vfx export description found with the masks, or ``{}``.
    """

    def __init__(
        self,
        path: Path,
        names: dict[int, str],
        frame_count: int,
        size: tuple[int, int],
        read: Reader,
        fps: float | None = None,
        description: dict | None = None,
    ) -> None:
        limits.IMAGE_PIXELS.check(size[0] * size[1], f"masks {path} ({size[0]}x{size[1]})")
        limits.OBJECTS.check(len(names), f"masks {path}")
        self.path = path
        self.object_ids = sorted(names)
        self.names = {i: names[i] for i in self.object_ids}
        self.frame_count = frame_count
        self.size = size
        self.fps = fps
        self.description = description or {}
        self._read = read

    @property
    def video_path(self) -> Path | None:
        """The source video the masks were exported from, if the export recorded it.

        ``None`` for conformed exports (vace, comfy), whose frames no longer match it.
        """
        video = self.description.get("source_video")
        return Path(video) if video and "conform" not in self.description else None

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """``{object_id: [H, W] float32 0..1}`` for frame ``index``; ``frame`` is ignored."""
        if not 0 <= index < self.frame_count:
            raise VfxError(
                f"frame {index} is outside the masks {self.path} ({self.frame_count} frames); "
                "import masks that cover every frame of the video"
            )
        return self._read(index)
