"""The generated clip the end-to-end and studio tests share (each at its own length)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vfx.demo.run import write_mask_folders
from vfx.demo.synthetic import write_scene_video

WIDTH, HEIGHT = 160, 96


@dataclass(frozen=True)
class SceneClip:
    """A generated clip in ``folder``: ``video`` (H.264 + AAC tone) and its exact masks
    ``masks`` ``[T, 2, H, W]`` bool, also as one PNG folder per object in ``masks_dir`` when
    :func:`scene_clip` was asked for them."""

    folder: Path
    video: Path
    masks: np.ndarray

    @property
    def masks_dir(self) -> Path:
        return self.folder / "masks"


def scene_clip(folder: Path, frames: int, fps: int, *, mask_folders: bool = False) -> SceneClip:
    """Write ``folder/scene.mp4``: two objects over a textured background (so blur shows),
    160x96, with sound."""
    video = folder / "scene.mp4"
    masks = write_scene_video(video, WIDTH, HEIGHT, frames, fps, objects=2, background=None)
    clip = SceneClip(folder, video, masks)
    if mask_folders:
        write_mask_folders(masks, clip.masks_dir)
    return clip
