"""Blend-mode arithmetic and weighted mixing against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from effects import EffectOutput
from effects.core.blending import BLEND_MODES, blend_pixels, check_blend, composite, mix
from vfx.errors import VfxError


def _pixel(*values: int) -> np.ndarray:
    return np.array([[values]], np.uint8)  # [1, 1, C]


@pytest.mark.parametrize(
    ("mode", "base", "top", "expected"),
    [
        ("normal", (200, 10, 0), (100, 250, 255), (100, 250, 255)),
        # 200 * 100 / 255 = 78.43; 10 * 250 / 255 = 9.80; 0 * x = 0
        ("multiply", (200, 10, 0), (100, 250, 255), (78, 10, 0)),
        # 255 - 55 * 155 / 255 = 221.57; 255 - 245 * 5 / 255 = 250.20; 255 - 255 * 0 / 255 = 255
        ("screen", (200, 10, 0), (100, 250, 255), (222, 250, 255)),
        # 300 saturates to 255; 260 -> 255; 255
        ("add", (200, 10, 0), (100, 250, 255), (255, 255, 255)),
        ("add", (20, 30, 40), (1, 2, 3), (21, 32, 43)),
        ("multiply", (255, 128, 64), (255, 255, 255), (255, 128, 64)),
        ("screen", (0, 128, 64), (0, 0, 0), (0, 128, 64)),
    ],
)
def test_blend_modes(mode: str, base: tuple, top: tuple, expected: tuple) -> None:
    out = blend_pixels(_pixel(*base), _pixel(*top), mode)
    np.testing.assert_array_equal(out, _pixel(*expected))


def test_mix_weights() -> None:
    base = np.array([[[0, 100, 255], [0, 100, 255], [0, 100, 255], [40, 40, 40]]], np.uint8)
    top = np.array([[[255, 200, 0], [255, 200, 0], [255, 200, 0], [41, 41, 41]]], np.uint8)
    weight = np.array([[0.0, 1.0, 0.5, 0.5]], np.float32)
    out = mix(base, top, weight)
    # 0.5: 127.5 -> 127 or 128 (rounding), 150, 127.5; 40.5 -> 40 or 41
    np.testing.assert_array_equal(out[0, 0], [0, 100, 255])
    np.testing.assert_array_equal(out[0, 1], [255, 200, 0])
    assert np.abs(out[0, 2].astype(int) - [127.5, 150, 127.5]).max() <= 0.5
    assert out[0, 3, 0] in (40, 41)
    single = mix(base[..., 0], top[..., 0], weight)
    np.testing.assert_array_equal(single, out[..., 0])


def test_composite_blend_then_weight_and_opacity() -> None:
    base = np.full((1, 3, 3), 200, np.uint8)
    paint = EffectOutput(
        image=np.full((1, 3, 3), 100, np.uint8), weight=np.array([[0.0, 1.0, 1.0]], np.float32)
    )
    rgb, alpha = composite(base, None, paint, blend="multiply", opacity=0.5)
    assert alpha is None
    # multiply gives 78; half of the way from 200 to 78 is 139
    np.testing.assert_array_equal(rgb[0, :, 0], [200, 139, 139])
    np.testing.assert_array_equal(base, 200)  # not in place


def test_composite_opacity_plane() -> None:
    rgb = np.full((1, 3, 3), 50, np.uint8)
    paint = EffectOutput(image=None, weight=np.array([[0.0, 0.5, 1.0]], np.float32), opacity=0)
    out, alpha = composite(rgb, None, paint, blend="normal", opacity=1.0)
    assert out is rgb
    assert alpha is not None
    np.testing.assert_allclose(alpha[0], [255, 127.5, 0], atol=0.5)
    existing = np.array([[100, 100, 100]], np.uint8)
    _, alpha = composite(rgb, existing, paint, blend="normal", opacity=1.0, in_place=True)
    assert alpha is existing
    np.testing.assert_array_equal(alpha[0], [100, 50, 0])


def test_unknown_blend_mode() -> None:
    assert BLEND_MODES == ("normal", "multiply", "screen", "add")
    with pytest.raises(VfxError, match="unknown blend mode 'overlay'; use one of normal, multiply"):
        check_blend("overlay")
    with pytest.raises(VfxError, match="unknown blend mode"):
        blend_pixels(_pixel(1, 2, 3), _pixel(1, 2, 3), "darken")


def _reference_mix(base: np.ndarray, top: np.ndarray, weight: np.ndarray) -> np.ndarray:
    w = weight.astype(np.float64)[..., None]
    return np.rint(base * (1 - w) + top * w).astype(np.uint8)


@pytest.mark.parametrize("size", [(120, 200), (97, 131), (40, 40), (1, 1), (3, 85)])
@pytest.mark.parametrize("kind", ["edge", "soft", "zeros", "ones", "near"])
def test_tiled_mix_matches_a_full_blend(size: tuple[int, int], kind: str) -> None:
    rng = np.random.default_rng(5)
    height, width = size
    base = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    top = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if kind == "edge":  # a hard disc with a 1-px soft rim: mostly uniform tiles
        ys, xs = np.mgrid[0:height, 0:width]
        distance = np.hypot(ys - height / 2, xs - width / 3) - min(size) / 3
        weight = np.clip(0.5 - distance, 0, 1).astype(np.float32)
    elif kind == "soft":
        weight = rng.random((height, width), dtype=np.float32)
    elif kind == "zeros":
        weight = np.zeros((height, width), np.float32)
    elif kind == "ones":
        weight = np.ones((height, width), np.float32)
    else:  # all ones but one pixel slightly below: that tile must still be blended
        weight = np.ones((height, width), np.float32)
        weight[-1, -1] = 0.99
        base[-1, -1], top[-1, -1] = 0, 255
    base_copy = base.copy()
    out = mix(base, top, weight)
    np.testing.assert_array_equal(base, base_copy)
    assert np.abs(out.astype(int) - _reference_mix(base, top, weight)).max() <= 1
    in_place = base.copy()
    assert mix(in_place, top, weight, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, out)
    if kind == "near":
        assert out[-1, -1].tolist() == [252, 252, 252]  # 0.99 * 255 = 252.45
