"""Boxed effect outputs, region-box rendering and reused buffers give the plain results."""

from __future__ import annotations

import numpy as np
import pytest

from effects import (
    Blur,
    Cutout,
    Edges,
    EffectContext,
    EffectOutput,
    Erase,
    Outline,
    Overlay,
    Pixelate,
    Recolor,
    Spotlight,
)
from effects.core.blending import _tile_runs, composite
from vfx.graph import Graph, Layer, parse_region


def _frame(height: int = 60, width: int = 90, seed: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _blob(height: int, width: int, cy: float, cx: float, radius: float) -> np.ndarray:
    """A disc with a soft 2-px rim, ``[H, W]`` float32 in 0..1."""
    ys, xs = np.mgrid[0:height, 0:width]
    distance = np.hypot(ys - cy, xs - cx) - radius
    return np.clip(0.5 - distance / 2, 0, 1).astype(np.float32)


@pytest.mark.parametrize("blend", ["normal", "multiply", "screen", "add"])
@pytest.mark.parametrize("opacity", [1.0, 0.6])
def test_boxed_output_equals_the_padded_full_frame_output(blend: str, opacity: float) -> None:
    rng = np.random.default_rng(2)
    rgb = _frame()
    box = (20, 10, 70, 45)  # x0, y0, x1, y1
    image = rng.integers(0, 256, (35, 50, 3), dtype=np.uint8)
    weight = rng.random((35, 50), dtype=np.float32)
    boxed = EffectOutput(image=image, weight=weight, box=box)
    full_image = np.zeros_like(rgb)
    full_image[10:45, 20:70] = image
    full_weight = np.zeros(rgb.shape[:2], np.float32)
    full_weight[10:45, 20:70] = weight
    full = EffectOutput(image=full_image, weight=full_weight)
    expected, _ = composite(rgb, None, full, blend=blend, opacity=opacity)
    out, alpha = composite(rgb, None, boxed, blend=blend, opacity=opacity)
    assert alpha is None
    np.testing.assert_array_equal(out, expected)
    assert out is not rgb
    in_place = rgb.copy()
    assert composite(in_place, None, boxed, blend=blend, opacity=opacity, in_place=True)[0] is (
        in_place
    )
    np.testing.assert_array_equal(in_place, expected)


def test_boxed_opacity_and_empty_boxes() -> None:
    rgb = _frame()
    weight = np.full((5, 6), 0.5, np.float32)
    cut = EffectOutput(image=None, weight=weight, opacity=0, box=(1, 2, 7, 7))
    out, alpha = composite(rgb, None, cut, blend="normal", opacity=1.0)
    assert out is rgb and alpha is not None
    expected = np.full(rgb.shape[:2], 255, np.uint8)
    expected[2:7, 1:7] = 128  # 255 * 0.5 = 127.5, rounded to even
    np.testing.assert_array_equal(alpha, expected)
    raised = EffectOutput(
        image=None, weight=weight, opacity=np.full((5, 6), 200, np.uint8), box=(0, 0, 6, 5)
    )
    _, alpha = composite(rgb, np.zeros(rgb.shape[:2], np.uint8), raised, blend="normal", opacity=1)
    assert alpha[0, 0] == 100 and alpha[4, 5] == 100 and alpha[5, 0] == 0 and alpha[0, 6] == 0
    empty = EffectOutput(image=None, weight=np.zeros((0, 0), np.float32), box=(0, 0, 0, 0))
    out, alpha = composite(rgb, None, empty, blend="normal", opacity=1.0)
    np.testing.assert_array_equal(out, rgb)
    assert out is not rgb and alpha is None


def test_pointwise_effect_renders_only_the_region_box() -> None:
    frame = _frame(80, 120)
    alpha = _blob(80, 120, 30, 40, 12)
    calls = []

    class Watched(Recolor):
        def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
            calls.append(frame.shape)
            return super().render(frame, alpha, ctx)

    effect = Watched(hue=40, saturation=1.3)
    out = Graph([Layer(effect, region="m")]).render_frame(frame, {"m": alpha})
    rows, cols = np.nonzero(alpha)
    box_shape = (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1, 3)
    assert calls == [box_shape]  # just the pixels where the disc is above 0
    assert box_shape[0] * box_shape[1] < alpha.size / 8
    expected = Recolor(hue=40, saturation=1.3).apply(frame, alpha, EffectContext())
    # Soft pixels may round differently (blendLinear over other tiles): by 1 at most.
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert np.abs(out.astype(int) - frame).max() > 50  # the region really changed


def test_region_working_arrays_come_from_the_allocator() -> None:
    masks = {
        "a": _blob(20, 30, 10, 10, 5),
        "b": _blob(20, 30, 10, 18, 5),
        1: _blob(20, 30, 5, 5, 3),
    }
    masks[2] = masks["b"]
    buffers: dict[int, np.ndarray] = {}

    def allocate(index: int, shape: tuple[int, int]) -> np.ndarray:
        buffers[index] = np.full(shape, np.nan, np.float32)  # garbage that must be overwritten
        return buffers[index]

    for text in ("~a", "a | b", "a & ~b", "a - b", "all", "frame", "none", "~(a | b) & frame"):
        region = parse_region(text)
        expected = region.evaluate(masks)
        buffers.clear()
        result = region.evaluate(masks, allocate=allocate)
        np.testing.assert_array_equal(result, expected)
        assert any(result is buffer for buffer in buffers.values())
        assert sorted(buffers) == list(range(1, len(buffers) + 1))
    for mask in masks.values():
        assert not np.isnan(mask).any()  # inputs untouched


def _moving_masks(index: int) -> dict[int, np.ndarray]:
    shift = 9 * index
    return {
        1: _blob(60, 90, 25 + index, 20 + shift, 8 + index),
        2: _blob(60, 90, 35, 70 - shift, 6),
    }


@pytest.mark.parametrize(
    "layers",
    [
        [Layer(Recolor(hue=25, saturation=1.2), region="obj:1"), Layer(Recolor(), region="obj:2")],
        [Layer(Blur(radius=9), region="~all"), Layer(Edges(), region="obj:2", opacity=0.5)],
        [Layer(Overlay(), region="all"), Layer(Outline(), region="all")],
        [Layer(Spotlight(), region="obj:1"), Layer(Erase(), region="obj:2")],
        [Layer(Pixelate(block=7), region="feather(obj:1, 4)"), Layer(Cutout(), region="all")],
    ],
)
def test_buffers_reused_across_frames_leave_no_trace(layers: list[Layer]) -> None:
    """Frame after frame with one cache (moving objects) equals each frame rendered afresh."""
    graph = Graph(layers)
    frames = [_frame(seed=index) for index in range(3)]
    cache: dict = {}
    for index, frame in enumerate(frames):
        masks = _moving_masks(index)
        shared = EffectContext.build(masks, frame_index=index, cache=cache)
        fresh = EffectContext.build(masks, frame_index=index)
        out = graph.render_frame(frame, None, shared)
        np.testing.assert_array_equal(out, Graph(layers).render_frame(frame, None, fresh))


def test_frames_held_downstream_are_never_overwritten() -> None:
    """Outputs still held (frames queued for the encoder) keep their pixels while the
    graph renders more frames with the same cache; let-go outputs' arrays are reused."""
    graph = Graph([Layer(Blur(radius=9), region="~obj:1")])
    cache: dict = {}
    frames = [_frame(seed=index) for index in range(5)]
    held = []
    for index, frame in enumerate(frames):
        ctx = EffectContext.build(_moving_masks(index), frame_index=index, cache=cache)
        held.append(graph.render_frame(frame, None, ctx))
    for index, (frame, out) in enumerate(zip(frames, held, strict=True)):
        fresh = EffectContext.build(_moving_masks(index), frame_index=index)
        np.testing.assert_array_equal(out, Graph(graph.layers).render_frame(frame, None, fresh))
    first = held[0].__array_interface__["data"][0]
    del held, out
    ctx = EffectContext.build(_moving_masks(0), cache=cache)
    assert graph.render_frame(frames[0], None, ctx).__array_interface__["data"][0] == first


@pytest.mark.parametrize("seed", range(4))
def test_tile_rectangles_cover_exactly_the_true_tiles(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tiles = rng.random((9, 13)) < 0.6
    tiles[2:6, 3:9] = True  # a block that must merge into one rectangle
    height, width = 9 * 40 - 13, 13 * 40 - 7  # ragged last row and column
    covered = np.zeros((height, width), np.int32)
    rectangles = _tile_runs(tiles, height, width)
    for rows, cols in rectangles:
        covered[rows, cols] += 1
    expected = np.repeat(np.repeat(tiles, 40, axis=0), 40, axis=1)[:height, :width]
    np.testing.assert_array_equal(covered, expected.astype(np.int32))  # each tile exactly once
    runs = sum(int(np.count_nonzero(np.diff(np.r_[0, row.astype(int), 0]) == 1)) for row in tiles)
    assert len(rectangles) < runs  # rows with the same runs were merged
