"""An object covering most of a frame (SAM 2 with untrained weights does this) is smoothed
without tripping OpenCV's 32767-row limit on remap maps."""

from __future__ import annotations

import numpy as np

from vfx.masks import TemporalSmoother
from vfx.masks.settings import SmoothSettings


def test_a_frame_filling_object_smooths() -> None:
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (360, 640, 3), np.uint8)
    smoother = TemporalSmoother(SmoothSettings.from_dict({"window": 5}))
    out = []
    for t in range(6):
        frame = np.roll(texture, 2 * t, axis=1)  # a slow pan, so motion is fitted
        mask = np.ones((1, 360, 640), np.float32)  # [N, H, W]
        mask[:, :8] = 0.0
        out += smoother.push(mask, frame)
    out += smoother.flush()
    assert len(out) == 6
    assert all(o.shape == (1, 360, 640) and o[0, 100:300, 100:500].min() > 0.5 for o in out)
