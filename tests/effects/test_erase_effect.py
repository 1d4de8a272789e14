"""erase: inpaint removes an object's colour; fill paints a flat colour."""

from __future__ import annotations

import numpy as np

from effects import EffectContext, Erase


def _scene() -> tuple[np.ndarray, np.ndarray]:
    frame = np.zeros((90, 120, 3), np.uint8)
    frame[:] = (30, 60, 200)
    frame[:, :, 1] = np.linspace(40, 80, 120, dtype=np.uint8)  # a little texture
    mask = np.zeros((90, 120), np.float32)
    mask[35:55, 50:70] = 1.0
    frame[35:55, 50:70] = (255, 0, 0)  # a red object
    return frame, mask


def test_inpaint_removes_the_object() -> None:
    frame, mask = _scene()
    out = Erase(grow=2, resolution=64).apply(frame, mask, EffectContext(size=(120, 90)))
    hole = out[38:52, 53:67].astype(int)
    assert np.abs(hole - [30, 60, 200]).max() < 40  # looks like the background, not red
    np.testing.assert_array_equal(out[:20], frame[:20])  # far from the hole: unchanged


def test_full_resolution_inpaint_and_fill() -> None:
    frame, mask = _scene()
    ctx = EffectContext(size=(120, 90))
    out = Erase(grow=0, resolution=4320).apply(frame, mask, ctx)
    assert np.abs(out[45, 60].astype(int) - [30, 60, 200]).max() < 40
    np.testing.assert_array_equal(out[mask == 0], frame[mask == 0])
    filled = Erase(mode="fill", color="#00ff00", grow=0).apply(frame, mask, ctx)
    assert (filled[mask == 1] == [0, 255, 0]).all()
    np.testing.assert_array_equal(filled[mask == 0], frame[mask == 0])
