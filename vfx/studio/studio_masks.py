"""The masks the studio shows and renders, as one :class:`~vfx.sources.base.MaskSource`.

Per object: empty where it has left the video (leave markers); else the mask of its latest
clicks on a frame it was prompted on since it was last tracked; else its tracked masklet (each
object may come from a different store: a correction re-tracks only the objects it changes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from vfx.masks import MaskletStore
from vfx.prompts.model import ObjectPrompts


class StudioMasks:
    """A mask source over the studio's objects.

    Args:
        objects: the objects' prompts (leave markers decide absence).
        stores: each object's tracked masklet store, if any.
        stale: objects whose prompts changed since their store was tracked.
        clicks: ``clicks(obj_id, frame)`` → the ``[H, W]`` bool click mask, or None.
        size: ``(width, height)`` of the video.
        frame_count: frames in the video.
    """

    def __init__(
        self,
        objects: list[ObjectPrompts],
        stores: Mapping[int, MaskletStore],
        stale: set[int],
        clicks: Callable[[int, int], np.ndarray | None],
        size: tuple[int, int],
        frame_count: int,
    ) -> None:
        self.objects = {obj.id: obj for obj in objects}
        self.object_ids = sorted(self.objects)
        self.names = {obj.id: obj.name for obj in objects}
        self.frame_count: int | None = frame_count
        self._stores = dict(stores)
        self._stale = set(stale)
        self._clicks = clicks
        self._shape = (size[1], size[0])

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """``{obj_id: [H, W] float32 0..1}`` for every object on frame ``index``."""
        out = {}
        for obj_id, obj in self.objects.items():
            mask = None
            if not obj.absent_at(index):
                store = self._stores.get(obj_id)
                prompted = any(fp.frame == index for fp in obj.segment_prompts)
                if (store is None or obj_id in self._stale) and prompted:
                    click = self._clicks(obj_id, index)
                    mask = None if click is None else click.astype(np.float32)
                if mask is None and store is not None:
                    mask = store.masks_at(index)[obj_id]
            out[obj_id] = np.zeros(self._shape, np.float32) if mask is None else mask
        return out
