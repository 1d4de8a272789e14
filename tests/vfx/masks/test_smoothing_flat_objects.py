"""Exact masks of a flat, fast-moving square must come out of the smoother (nearly) unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.demo.synthetic import GREEN_SCREEN, scene_frames
from vfx.masks import smooth


@pytest.mark.parametrize("background", [GREEN_SCREEN, None], ids=["green", "textured"])
def test_flat_fast_square_keeps_its_exact_mask(background: tuple[int, int, int] | None) -> None:
    scene = list(scene_frames(frames=24, objects=2, background=background))
    frames = np.stack([item.rgb for item in scene])  # [T, H, W, 3]
    exact = np.stack([item.masks[1] for item in scene])  # [T, H, W] bool: the blue square
    out = smooth(exact.astype(np.float32), frames)
    for t in range(len(exact)):
        kept = out[t] >= 0.5
        iou = np.count_nonzero(kept & exact[t]) / np.count_nonzero(kept | exact[t])
        assert iou >= 0.97, f"frame {t}: IoU {iou:.3f} against the exact mask"
