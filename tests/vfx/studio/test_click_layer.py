"""The click's mask layer: a click's answer carries every object's mask on that frame as run
lengths, which the page tints and outlines over the frame without masks (no composited frame
fetched), the way the server's overlay draws them."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from tests.vfx.studio.test_retrack_and_candidates import centre
from vfx.studio.frames import outline_thickness, overlay, rle, rle_mask


def ring_with_island(height: int = 90, width: int = 150) -> np.ndarray:
    """A filled disc with a hole, an island in the hole, a second blob on the border and a
    lone pixel: ``[H, W]`` bool."""
    mask = np.zeros((height, width), np.uint8)
    cv2.circle(mask, (60, 45), 35, 1, -1)
    cv2.circle(mask, (60, 45), 18, 0, -1)
    cv2.circle(mask, (60, 45), 6, 1, -1)
    mask[0:20, 130:150] = 1
    mask[80, 140] = 1
    return mask.astype(bool)


@pytest.mark.parametrize("shape", ["ring", "noise", "empty", "full", "first-pixel"])
def test_run_lengths_decode_into_the_same_mask(shape: str):
    rng = np.random.default_rng(3)
    first = np.zeros((90, 150), bool)
    first[0, 0] = True
    mask = {
        "ring": ring_with_island(),
        "noise": cv2.resize((rng.random((12, 20)) > 0.5).astype(np.uint8), (150, 90),
                            interpolation=cv2.INTER_LINEAR).astype(bool),
        "empty": np.zeros((90, 150), bool),
        "full": np.ones((90, 150), bool),
        "first-pixel": first,
    }[shape]  # fmt: skip
    encoded = rle(mask)
    counts = np.frombuffer(base64.b64decode(encoded), "<u4")  # as the page reads it
    assert counts.sum() == mask.size and (counts[0] == 0) == bool(mask[0, 0])
    assert (counts[1:-1] > 0).all()  # alternating runs, none empty but a leading inside one
    np.testing.assert_array_equal(rle_mask(encoded, 150, 90), mask)
    assert rle(mask.astype(np.float32)) == encoded  # 0..1 masks too


@pytest.mark.parametrize("size", [(150, 90), (1500, 900)])
def test_the_overlay_tints_the_mask_and_outlines_its_edges(size: tuple[int, int]):
    width, height = size
    k = width // 150  # the ring, k times larger
    mask = np.kron(ring_with_island(), np.ones((k, k), bool))  # [90, 150] -> [90k, 150k]
    rgb = np.full((height, width, 3), 200, np.uint8)
    out = overlay(rgb, {1: mask})
    t = outline_thickness(width, height)
    assert t == (1 if k == 1 else 3)
    row = 45 * k
    left = int(np.argmax(mask[row]))  # the disc's left edge on its middle row
    tint, line = out[row, (60 + 27) * k], out[row, left]  # inside the ring; on its edge
    assert (tint != rgb[0, 0]).any() and (line != tint).any()
    changed = (out != rgb).any(axis=2)
    assert changed[mask].all()  # every mask pixel is tinted or outlined
    assert not changed[row, (60 - 12) * k]  # inside the hole, off the island
    assert (out[row, 60 * k] == tint).all()  # the island in the hole
    # the outline spills at most t // 2 pixels outside the mask
    near = cv2.dilate(mask.view(np.uint8), np.ones((2 * (t // 2) + 1,) * 2, np.uint8))
    assert not changed[~near.astype(bool)].any()
    assert changed[row, left - t // 2] and not changed[row, left - t // 2 - 1]


def test_a_click_answers_the_frames_masks_as_outlines(live, studio_clip):
    truth = studio_clip.masks  # [T, N, H, W]
    live.call("/api/objects", {})
    code, data = live.call("/api/objects/1/prompts",
                           {"frame": 3, "point": centre(truth[3, 0]), "label": 1})  # fmt: skip
    assert code == 200, data
    layer = data["click"]["layer"]
    assert layer["frame"] == 3 and layer["thickness"] == 1 and layer["opacity"] == 0.5
    assert data["click"]["layer_ms"] >= 0

    # a second object on the same frame: the next click's layer carries both
    live.call("/api/objects", {})
    ys, xs = np.nonzero(truth[3, 1])
    box = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
    code, data = live.call("/api/objects/2/prompts", {"frame": 3, "box": box})
    assert code == 200, data
    layer = data["click"]["layer"]
    masks = live.studio.view_source().masks_at(3)
    shown = {o["id"]: o for o in layer["objects"]}
    assert set(shown) == {i for i, m in masks.items() if (m > 0.5).any()}
    assert shown, "random weights gave two empty masks; pick other prompts"
    for obj_id, obj in shown.items():
        assert obj["color"] == data["colors"][str(obj_id)]
        np.testing.assert_array_equal(rle_mask(obj["rle"], 160, 96), masks[obj_id] > 0.5)
    # the composited frame (scrubbing's path) still shows the same masks
    code, jpeg = live.call("/api/frame/3.jpg")
    assert code == 200 and jpeg[:2] == b"\xff\xd8"
