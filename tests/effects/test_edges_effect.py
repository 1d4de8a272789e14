"""edges: Sobel stylise finds a step edge and leaves flat areas dark (or white for sketch)."""

from __future__ import annotations

import numpy as np
import pytest

from effects import Edges, EffectContext


def _step() -> np.ndarray:
    frame = np.zeros((16, 16, 3), np.uint8)
    frame[:, 8:] = (40, 200, 40)
    return frame


@pytest.mark.parametrize("style", ["neon", "mono", "sketch"])
def test_edge_is_found(style: str) -> None:
    out = Edges(style=style).apply(
        _step(), np.ones((16, 16), np.float32), EffectContext(size=(16, 16))
    )
    flat, edge = out[8, 2].astype(int), out[8, 8].astype(int)
    if style == "sketch":
        assert (flat == 255).all() and edge.max() < 200
    else:
        assert (flat == 0).all() and edge.max() > 100
    if style == "neon":
        assert edge[1] > edge[0] and edge[1] > edge[2]  # the green side's hue
    if style == "mono":
        assert edge[0] == edge[1] == edge[2]
