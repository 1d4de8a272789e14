"""The fast paths of the effects against the straightforward computation they replace."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from effects import Edges, EffectContext, Pixelate, Recolor, ReplaceBackground, Spotlight
from effects.core.base import RECYCLED_POOL_LIMIT, mask_box, recycled, scratch
from effects.core.colors import solid_image
from effects.core.cube_lut import apply_dense, dense_table, parse_cube
from effects.core.kernels import blur, blur_box, blur_within, halve
from effects.pixelate import block_means


def _texture(height: int = 72, width: int = 100, seed: int = 3) -> np.ndarray:
    """A smooth colour field plus noise: ``[H, W, 3]`` uint8."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return cv2.add(smooth, rng.integers(0, 30, (height, width, 3), dtype=np.uint8))


def _disc(height: int, width: int, radius: float, soft: float = 1.5) -> np.ndarray:
    """A soft disc at the centre, ``[H, W]`` float32 in 0..1."""
    ys, xs = np.mgrid[0:height, 0:width]
    distance = np.hypot(ys - height / 2, xs - width / 2) - radius
    return np.clip(0.5 - distance / soft, 0, 1).astype(np.float32)


@pytest.mark.parametrize("block", [2, 3, 8, 16, 7, 49])
@pytest.mark.parametrize("size", [(72, 100), (64, 64), (33, 17)])
def test_block_means_match_padded_block_averages(block: int, size: tuple[int, int]) -> None:
    frame = _texture(*size)
    height, width = size
    rows, cols = math.ceil(height / block), math.ceil(width / block)
    padded = np.pad(frame, ((0, rows * block - height), (0, cols * block - width), (0, 0)), "edge")
    # [rows * block, cols * block, 3] -> [rows, block, cols, block, 3]
    tiles = padded.reshape(rows, block, cols, block, 3).astype(np.float64)
    expected = tiles.mean(axis=(1, 3))
    means = block_means(frame, block)
    assert means.shape == (rows, cols, 3) and means.dtype == np.uint8
    assert np.abs(means - expected).max() <= 0.5 + 1e-6  # rounded


@pytest.mark.parametrize("block", [16, 49])
def test_pixelate_paints_exact_blocks(block: int) -> None:
    frame = _texture(100, 130)
    ctx = EffectContext(size=(130, 100))
    image = Pixelate(block=block).render(frame, np.ones((100, 130), np.float32), ctx).image
    means = block_means(frame, block)
    expected = np.repeat(np.repeat(means, block, axis=0), block, axis=1)[:100, :130]
    np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize("style", ["neon", "mono", "sketch"])
def test_edges_one_pass_gradient_equals_two_sobel_calls(style: str) -> None:
    frame = _texture()
    effect = Edges(style=style, strength=3.0)
    image = effect.render(frame, np.ones(frame.shape[:2], np.float32), EffectContext()).image
    grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (3, 3), 0)
    dx = cv2.convertScaleAbs(cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3))
    dy = cv2.convertScaleAbs(cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3))
    magnitude = cv2.addWeighted(dx, 0.75, dy, 0.75, 0.0)
    if style == "sketch":
        magnitude = 255 - magnitude
    expected = cv2.cvtColor(magnitude, cv2.COLOR_GRAY2RGB)
    if style == "neon":
        hsv = cv2.cvtColor(halve(halve(frame)), cv2.COLOR_RGB2HSV)
        hsv[..., 2] = 255
        colour = cv2.resize(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), (100, 72))
        expected = cv2.multiply(expected, colour, scale=1.0 / 255.0)
    np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize(("dim", "desaturate"), [(0.65, 0.5), (0.3, 1.0), (0.8, 0.0)])
def test_spotlight_colour_matrix_matches_grey_mix(dim: float, desaturate: float) -> None:
    frame = _texture()
    alpha = _disc(72, 100, 20)
    painted = Spotlight(dim=dim, desaturate=desaturate, falloff=12).render(
        frame, alpha, EffectContext()
    )
    keep = 1.0 - dim
    grey = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    dark = frame * (keep * (1 - desaturate)) + grey * (keep * desaturate)
    assert np.abs(painted.image - dark).max() <= 1.0
    spread = blur(alpha, 12) * 2
    light = np.minimum(np.maximum(spread, alpha), 1)
    np.testing.assert_allclose(painted.weight, 1 - light, atol=1e-6)


def test_recolor_shared_curve_and_greyscale_paths() -> None:
    frame = _texture()
    alpha = np.ones(frame.shape[:2], np.float32)
    ctx = EffectContext()
    # Brightness and contrast alone: one curve for every channel.
    graded = Recolor(saturation=1, brightness=0.1, contrast=1.3).render(frame, alpha, ctx).image
    levels = np.clip(np.rint((frame.astype(np.float32) - 128) * 1.3 + 128 + 25.5), 0, 255)
    np.testing.assert_array_equal(graded, levels.astype(np.uint8))
    # Temperature needs per-channel curves; they agree with the same formula per gain.
    warm = Recolor(saturation=1, temperature=0.4).render(frame, alpha, ctx).image
    gains = np.array([1.1, 1.0, 0.9], np.float32)
    expected = np.clip(np.rint(frame.astype(np.float32) * gains), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(warm, expected)
    # Greyscale (the default) is the grey image itself.
    grey = Recolor().render(frame, alpha, ctx).image
    reference = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    np.testing.assert_array_equal(grey, reference)


@pytest.mark.parametrize("kind", ["gaussian", "box", "lens"])
@pytest.mark.parametrize("radius", [2, 9, 21])
def test_blur_within_matches_the_normalised_convolution(kind: str, radius: float) -> None:
    frame = _texture(96, 128)
    mask = 1.0 - _disc(96, 128, 25)
    mask[:, :8] = 0.0  # a strip far from any region pixel for small radii
    mask[:8] = 0.0
    out = np.empty_like(frame)
    fast = blur_within(frame, mask, radius, kind, out=out)
    assert fast is out
    # The straightforward formulation: the same halving, then float64 arithmetic.
    work, weight, reduced = frame, mask, float(radius)
    while reduced / 2 >= 3:
        work, weight, reduced = halve(work), halve(weight), reduced / 2
    spread = blur(work.astype(np.float32) * weight[..., None], reduced, kind).astype(np.float64)
    total = blur(weight, reduced, kind).astype(np.float64)
    small = np.where(
        (total < 1e-3)[..., None],
        blur(work, reduced, kind),
        np.rint(np.clip(spread / np.maximum(total, 1e-3)[..., None], 0, 255)),
    ).astype(np.uint8)
    expected = cv2.resize(small, (128, 96), interpolation=cv2.INTER_LINEAR)
    assert np.abs(fast.astype(int) - expected).max() <= 1
    if radius < 6:
        assert (fast[:4, :4] != 0).all()  # the plain blur where no region pixel is in reach


def test_blur_into_a_buffer() -> None:
    frame = _texture()
    out = np.empty_like(frame)
    for radius in (0, 2, 30):
        assert blur(frame, radius, out=out) is out
        np.testing.assert_array_equal(out, blur(frame, radius))


def test_dense_lut_with_buffers_equals_without() -> None:
    rows = [
        f"{r / 2:.3f} {g / 2:.3f} {1 - b / 2:.3f}"
        for b in range(3)
        for g in range(3)
        for r in range(3)
    ]
    table = dense_table(parse_cube("LUT_3D_SIZE 3\n" + "\n".join(rows)))
    frame = _texture()
    work = np.empty((*frame.shape[:2], 4), np.uint8)
    out = np.empty_like(frame)
    result = apply_dense(frame, table, work=work, out=out)
    assert result is out
    np.testing.assert_array_equal(result, apply_dense(frame, table))
    # Red and green kept, blue inverted: a linear LUT interpolates exactly.
    expected = np.stack([frame[..., 0], frame[..., 1], 255.0 - frame[..., 2]], axis=-1)
    assert np.abs(result - expected).max() <= 1.0


def test_light_wrap_in_the_edge_box_matches_the_whole_frame_formula() -> None:
    frame = _texture(80, 120)
    alpha = 1.0 - _disc(80, 120, 18, soft=3.0)  # the background around a round subject
    effect = ReplaceBackground(source="gradient:#ff0000,#0000ff,horizontal", light_wrap=0.7)
    ctx = EffectContext()
    painted = effect.render(frame, alpha, ctx)
    background = ReplaceBackground(source=effect.source).render(frame, alpha, ctx).image
    reach = blur(alpha, effect.wrap_radius)
    spill = reach * (1 - alpha) * 0.7
    soft = blur(background, effect.wrap_radius).astype(np.float64)
    total = alpha + spill
    mixed = (background * alpha[..., None] + soft * spill[..., None]) / np.maximum(total, 1e-5)[
        ..., None
    ]
    np.testing.assert_allclose(painted.weight, total, atol=1e-6)
    covered = total > 1e-3
    assert np.abs(painted.image[covered] - mixed[covered]).max() <= 1.0
    assert spill.max() > 0.2  # the wrap really shows


def test_scratch_buffers_are_reused_and_grow() -> None:
    ctx = EffectContext()
    first = scratch(ctx, "test.a", (4, 5, 3))
    first[...] = 7
    again = scratch(ctx, "test.a", (4, 5, 3))
    assert again.flags.c_contiguous and np.shares_memory(first, again)
    assert (again == 7).all()
    smaller = scratch(ctx, "test.a", (2, 3))
    assert smaller.shape == (2, 3) and np.shares_memory(smaller, first)
    bigger = scratch(ctx, "test.a", (10, 10, 3))
    assert bigger.shape == (10, 10, 3) and not np.shares_memory(bigger, first)
    other = scratch(ctx, "test.b", (4, 5, 3))
    assert not np.shares_memory(other, bigger)
    assert scratch(ctx, "test.a", (3,), np.float32).dtype == np.float32


def test_recycled_arrays_come_back_only_once_let_go() -> None:
    ctx = EffectContext(size=(5, 4))
    held = recycled(ctx, "test.out", (4, 5, 3))
    view = recycled(ctx, "test.out", (4, 5, 3))[1:]  # a second array: the first is held
    assert view.base is not held and not np.shares_memory(view, held)
    third = recycled(ctx, "test.out", (4, 5, 3))  # the second is still seen through its view
    assert not np.shares_memory(third, held) and not np.shares_memory(third, view)
    del view, third
    again = recycled(ctx, "test.out", (4, 5, 3))
    assert not np.shares_memory(again, held)  # a let-go array, not the held one
    del again
    assert len(ctx.cache[("recycled", "test.out", "|u1", (4, 5, 3))]) == 3
    assert recycled(ctx, "test.out", (2, 2), np.float32).dtype == np.float32


def test_recycled_pool_stays_bounded_when_every_array_is_held() -> None:
    ctx = EffectContext(size=(2, 2))
    held = [recycled(ctx, "test.bound", (2, 2)) for _ in range(RECYCLED_POOL_LIMIT + 5)]
    assert len({id(array) for array in held}) == len(held)  # all distinct, none reused
    assert len(ctx.cache[("recycled", "test.bound", "|u1", (2, 2))]) == RECYCLED_POOL_LIMIT


def test_context_object_infos_are_made_on_first_use() -> None:
    first, second = np.zeros((6, 8), np.float32), np.zeros((6, 8), np.float32)
    first[1:3, 2:5] = 1.0
    ctx = EffectContext.build({2: second, 1: first}, names={1: "dog"})
    assert len(ctx.objects) == 2
    assert [(o.id, o.name, o.box) for o in ctx.objects] == [
        (1, "dog", mask_box(first)),
        (2, "object 2", None),
    ]
    assert ctx.objects[0].box == (2, 1, 5, 3) and ctx.objects[-1].id == 2


def test_solid_image() -> None:
    image = solid_image(3, 4, (1, 2, 3))
    assert image.shape == (3, 4, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image.reshape(-1, 3), [[1, 2, 3]] * 12)
    assert solid_image(0, 4, (1, 2, 3)).shape == (0, 4, 3)


def test_reused_buffers_do_not_leak_between_frames(tmp_path: Path) -> None:
    """Rendering another frame first with the same cache changes nothing."""
    cube = tmp_path / "look.cube"
    rows = [f"{r:.1f} {g:.1f} {b:.1f}" for b in (1, 0) for g in (0, 1) for r in (1, 0)]
    cube.write_text("LUT_3D_SIZE 2\n" + "\n".join(rows) + "\n")
    frame, other = _texture(seed=1), _texture(seed=2)
    alpha = _disc(72, 100, 20)
    effects = [
        Edges(),
        Recolor(hue=30, saturation=1.5, temperature=0.2, lut=str(cube), lut_strength=0.5),
        Recolor(),
        Pixelate(),
        Spotlight(),
        ReplaceBackground(light_wrap=0.5),
    ]
    for effect in effects:
        fresh = effect.apply(frame, alpha, EffectContext())
        shared = EffectContext()
        effect.apply(other, 1 - alpha, shared)
        np.testing.assert_array_equal(effect.apply(frame, alpha, shared), fresh)


@pytest.mark.parametrize("kind", ["gaussian", "box", "lens"])
@pytest.mark.parametrize("radius", [2.0, 7.0, 13.0])
@pytest.mark.parametrize(
    "box", [(30, 20, 70, 50), (0, 0, 25, 90), (101, 61, 160, 96), (5, 3, 6, 4)]
)
def test_blur_box_matches_the_whole_frame_blur(
    kind: str, radius: float, box: tuple[int, int, int, int]
) -> None:
    frame = _texture(96, 160)
    mask = _disc(96, 160, 30, soft=6.0)
    x0, y0, x1, y1 = box
    np.testing.assert_array_equal(
        blur_box(frame, radius, box, kind), blur(frame, radius, kind)[y0:y1, x0:x1]
    )
    np.testing.assert_allclose(
        blur_box(mask, radius, box, kind), blur(mask, radius, kind)[y0:y1, x0:x1], atol=1e-5
    )


def test_blur_box_on_an_odd_sized_frame_is_close() -> None:
    mask = _disc(97, 163, 30, soft=6.0)
    box = (40, 30, 121, 77)
    for radius in (7.0, 13.0, 30.0):
        expected = blur(mask, radius)[30:77, 40:121]
        np.testing.assert_allclose(blur_box(mask, radius, box), expected, atol=5e-3)
