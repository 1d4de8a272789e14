"""The generated clip the end-to-end and studio tests share (each at its own length)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vfx.demo.synthetic import write_scene_video

WIDTH, HEIGHT = 160, 96


def two_object_clip(folder: Path, frames: int, fps: int) -> tuple[Path, np.ndarray]:
    """``folder/scene.mp4``: two objects over a textured background (so blur shows), 160x96,
    H.264 + an AAC tone. Returns the video and its exact masks ``[T, 2, H, W]`` bool."""
    video = folder / "scene.mp4"
    masks = write_scene_video(video, WIDTH, HEIGHT, frames, fps, objects=2, background=None)
    return video, masks
