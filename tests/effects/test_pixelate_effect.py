"""pixelate: blocks of the average colour, aligned to the frame grid."""

from __future__ import annotations

import numpy as np
import pytest

from effects import EffectContext, Pixelate
from vfx.errors import VfxError


def test_blocks_hold_their_average() -> None:
    frame = np.zeros((8, 10, 3), np.uint8)
    frame[:, :, 0] = np.arange(10, dtype=np.uint8) * 20  # a horizontal ramp
    out = Pixelate(block=4).apply(frame, np.ones((8, 10), np.float32), EffectContext(size=(10, 8)))
    np.testing.assert_array_equal(out[0, 0:4, 0], [30, 30, 30, 30])  # mean of 0, 20, 40, 60
    np.testing.assert_array_equal(out[0, 4:8, 0], [110] * 4)
    assert (out[:4] == out[0]).all() and (out[4:] == out[4]).all()
    assert out.shape == frame.shape


def test_block_validation() -> None:
    with pytest.raises(VfxError, match=r"'block': expected an integer in 2..512, got 2.5"):
        Pixelate.from_params({"block": 2.5})
    assert Pixelate.from_params({"block": 8.0}).block == 8
