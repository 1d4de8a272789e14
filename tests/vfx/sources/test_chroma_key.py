"""ChromaKeySource and despill on generated green-screen frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vfx.demo.synthetic import GREEN_SCREEN, scene_frames
from vfx.errors import VfxError
from vfx.io.reader import open_video
from vfx.sources import ChromaKeySource, MaskSource, despill, parse_chroma_color


def test_parse_chroma_color() -> None:
    assert parse_chroma_color("green") == GREEN_SCREEN
    assert parse_chroma_color(" Blue ") == (0, 71, 187)
    assert parse_chroma_color("#00B140") == (0, 177, 64)
    assert parse_chroma_color("ff0080") == (255, 0, 128)
    with pytest.raises(VfxError, match="unknown key colour 'teal'; use green, blue or #RRGGBB"):
        parse_chroma_color("teal")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"color": "#808080"}, "too close to gray"),
        ({"tolerance": -0.1}, "must be >= 0"),
        ({"spill": 2.0}, "between 0 and 1"),
    ],
)
def test_bad_settings_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(VfxError, match=message):
        ChromaKeySource(**kwargs)


def test_key_on_green_screen_clip_matches_foreground(scene_clip: tuple[Path, np.ndarray]) -> None:
    path, masks = scene_clip
    source = ChromaKeySource("green")
    assert isinstance(source, MaskSource)
    assert source.object_ids == [1] and source.frame_count is None
    with open_video(path) as video:
        for frame in video:
            alpha = source.masks_at(frame.index, frame.rgb)[1]
            assert alpha.dtype == np.float32 and alpha.shape == (240, 320)
            keyed = alpha >= 0.5
            truth = masks[frame.index].any(axis=0)
            iou = (keyed & truth).sum() / (keyed | truth).sum()
            assert iou >= 0.98, (frame.index, iou)
            assert np.mean(alpha[~truth] == 0.0) > 0.97  # the screen is transparent, not faint


def test_blue_screen_and_soft_ramp() -> None:
    blue = parse_chroma_color("blue")
    frame = np.zeros((4, 5, 3), np.uint8)
    frame[:] = blue
    frame[0] = (200, 40, 40)
    # pixels mixed from key and red in steps: alpha must rise monotonically from 0 to 1
    for x, w in enumerate(np.linspace(0.0, 1.0, 5)):
        frame[1, x] = np.rint((1 - w) * np.array(blue) + w * np.array((200, 40, 40)))
    alpha = ChromaKeySource("blue", tolerance=0.2, softness=0.8).masks_at(0, frame)[1]
    np.testing.assert_array_equal(alpha[0], 1.0)
    np.testing.assert_array_equal(alpha[2:], 0.0)
    ramp = alpha[1]
    assert ramp[0] == 0.0 and ramp[-1] == 1.0
    assert np.all(np.diff(ramp) >= 0) and 0.0 < ramp[2] < 1.0


def test_masks_at_needs_the_frame() -> None:
    with pytest.raises(ValueError, match="needs the frame"):
        ChromaKeySource().masks_at(0)


def _spilled_frame() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A green-screen frame with soft edges and green light on the subject's rim.

    Returns ``(frame [H, W, 3] uint8, true alpha [H, W] float32, rim [H, W] bool)``.
    """
    scene = next(scene_frames(160, 120, frames=1, objects=2, seed=3))
    inside = scene.masks.any(axis=0)
    soft = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 2.0)
    # extend the subject's colours outwards so the blended ramp mixes real colours with the key
    colour = np.where(
        inside[..., None], scene.rgb, cv2.dilate(scene.rgb, np.ones((9, 9), np.uint8))
    )
    colour = colour.astype(np.float32)
    green = np.array(GREEN_SCREEN, np.float32)
    edge = (soft > 0.05) & (soft < 0.95)
    rim = cv2.dilate(edge.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & inside
    colour[rim] = 0.7 * colour[rim] + 0.3 * green
    frame = soft[..., None] * colour + (1.0 - soft[..., None]) * green
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8), soft, edge | rim


def _green_excess(frame: np.ndarray, where: np.ndarray) -> float:
    f = frame.astype(np.float32)
    return float(np.maximum(f[..., 1] - 0.5 * (f[..., 0] + f[..., 2]), 0.0)[where].mean())


def test_despill_reduces_green_on_edges_and_leaves_screen_alone() -> None:
    frame, _, edges = _spilled_frame()
    source = ChromaKeySource("green")
    alpha = source.masks_at(0, frame)[1]
    out = source.despill(frame, alpha)
    visible_edges = edges & (alpha > 0)
    before, after = _green_excess(frame, visible_edges), _green_excess(out, visible_edges)
    assert before > 15.0
    assert after < 0.3 * before
    np.testing.assert_array_equal(out[alpha == 0], frame[alpha == 0])
    # luma is kept: despill removes tint, not brightness
    luma_in = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)[visible_edges].astype(int)
    luma_out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[visible_edges].astype(int)
    assert np.abs(luma_in - luma_out).max() <= 3


def test_despill_keeps_colours_that_are_not_the_key() -> None:
    frame = np.array(
        [[[220, 40, 40], [240, 200, 30], [230, 180, 150]]], np.uint8
    )  # red, yellow, skin
    out = despill(frame, np.ones((1, 3), np.float32), GREEN_SCREEN)
    np.testing.assert_array_equal(out, frame)
    assert ChromaKeySource(spill=0.0).despill(frame, np.ones((1, 3), np.float32)) is frame
