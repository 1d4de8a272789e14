"""Masklet store: round trip, compression, random access, completeness, errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.masks import MaskletStore, find_cached_store
from vfx.masks.masklet_store import is_complete_store

HEIGHT, WIDTH = 120, 160


def object_masks(store: MaskletStore, obj_id: int) -> np.ndarray:
    """``[T, H, W]`` float32 masks of one object."""
    return np.stack([masks[obj_id] for _, masks in store])


def moving_disc(t: int) -> np.ndarray:
    """``[H, W]`` float32 soft disc that moves 3 px per frame (a typical tracker mask)."""
    mask = np.zeros((HEIGHT, WIDTH), np.float32)
    cv2.circle(mask, (40 + 3 * t, 60), 25, 1.0, thickness=-1, lineType=cv2.LINE_AA)
    return cv2.GaussianBlur(mask, (0, 0), 1.0)


def meta() -> dict:
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "fps": 24.0,
        "objects": [{"id": 1, "name": "dog"}],
        "video": {"path": "clip.mp4", "hash": "abc"},
        "model": "sam2.1_hiera_tiny",
        "prompts": {"objects": []},
        "settings": {},
    }


def write_store(path: Path, frames: int = 20, chunk_frames: int = 8) -> list[np.ndarray]:
    masks = [moving_disc(t) for t in range(frames)]
    with MaskletStore.create(path, meta(), chunk_frames=chunk_frames) as writer:
        for t, mask in enumerate(masks):
            writer.write_frame(t, {1: mask, 2: 1.0 - mask} if t >= 5 else {1: mask})
    return masks


def test_round_trip_keeps_values_within_one_level(tmp_path: Path) -> None:
    masks = write_store(tmp_path / "store")
    store = MaskletStore.open(tmp_path / "store")
    assert store.frame_count == 20
    assert (store.width, store.height, store.fps) == (WIDTH, HEIGHT, 24.0)
    assert store.object_ids == [1, 2]
    assert store.names == {1: "dog", 2: "obj2"}
    assert store.meta["complete"] is True
    assert store.meta["video"] == {"path": "clip.mp4", "hash": "abc"}
    stack = object_masks(store, 1)
    assert stack.shape == (20, HEIGHT, WIDTH) and stack.dtype == np.float32
    assert np.abs(stack - np.stack(masks)).max() <= 0.5 / 255 + 1e-6
    # Object 2 appeared at frame 5: empty before, the inverse after.
    late = object_masks(store, 2)
    assert late[:5].max() == 0.0
    assert np.abs(late[5:] - (1.0 - np.stack(masks[5:]))).max() <= 0.5 / 255 + 1e-6


def test_random_access_matches_sequential_reads(tmp_path: Path) -> None:
    write_store(tmp_path / "store")
    store = MaskletStore.open(tmp_path / "store")
    sequential = {index: masks for index, masks in store}
    assert sorted(sequential) == list(range(20))
    for index in (17, 3, 9, 0, 19, 8):
        masks = store.masks_at(index)
        assert set(masks) == {1, 2}
        np.testing.assert_array_equal(masks[1], sequential[index][1])
    window = [index for index, _ in store.iter_masks(6, 11)]
    assert window == list(range(6, 11))


def test_typical_masks_take_under_five_percent_of_raw(tmp_path: Path) -> None:
    frames = 32
    with MaskletStore.create(tmp_path / "store", meta()) as writer:
        for t in range(frames):
            writer.write_frame(t, {1: moving_disc(t)})
    files = [f for f in (tmp_path / "store").rglob("*") if f.is_file()]
    stored = sum(f.stat().st_size for f in files)
    ratio = stored / (frames * HEIGHT * WIDTH)
    assert ratio <= 0.05, ratio


def test_frames_may_arrive_in_any_order(tmp_path: Path) -> None:
    masks = [moving_disc(t) for t in range(10)]
    with MaskletStore.create(tmp_path / "store", meta(), chunk_frames=4) as writer:
        for t in (9, 2, 5, 0, 1, 3, 4, 8, 7, 6):
            writer.write_frame(t, {1: masks[t]})
    store = MaskletStore.open(tmp_path / "store")
    assert np.abs(object_masks(store, 1) - np.stack(masks)).max() <= 0.5 / 255 + 1e-6


def test_unclosed_store_is_detectably_incomplete(tmp_path: Path) -> None:
    writer = MaskletStore.create(tmp_path / "store", meta(), chunk_frames=4)
    for t in range(6):
        writer.write_frame(t, {1: moving_disc(t)})
    # As if the process died here: nothing under the final name, an incomplete temporary.
    assert not (tmp_path / "store").exists()
    partial = [p for p in tmp_path.iterdir() if p.name.startswith(".store.partial-")]
    assert len(partial) == 1
    assert json.loads((partial[0] / "meta.json").read_text())["complete"] is False
    with pytest.raises(VfxError, match="incomplete"):
        MaskletStore.open(partial[0])
    assert not is_complete_store(partial[0])
    writer.abort()
    assert not any(tmp_path.iterdir())


def test_exception_inside_with_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), MaskletStore.create(tmp_path / "store", meta()) as writer:
        writer.write_frame(0, {1: moving_disc(0)})
        raise RuntimeError("tracker crashed")
    assert not any(tmp_path.iterdir())


def test_bad_stores_give_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(VfxError, match="does not exist"):
        MaskletStore.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VfxError, match="not a masklet store"):
        MaskletStore.open(tmp_path / "empty")
    write_store(tmp_path / "store", frames=4)
    (tmp_path / "store" / "objects" / "1" / "000000.bin").write_bytes(b"junk")
    store = MaskletStore.open(tmp_path / "store")
    with pytest.raises(VfxError, match="damaged") as info:
        store.masks_at(0)
    assert "\n" not in str(info.value)
    with pytest.raises(VfxError, match="outside the masklets"):
        store.masks_at(4)


def test_find_cached_store_returns_only_complete_stores(tmp_path: Path) -> None:
    write_store(tmp_path / "key1", frames=3)
    assert find_cached_store(tmp_path, "key1") == tmp_path / "key1"
    assert find_cached_store(tmp_path, "key2") is None
    meta_path = tmp_path / "key1" / "meta.json"
    data = json.loads(meta_path.read_text())
    data["complete"] = False
    meta_path.write_text(json.dumps(data))
    assert find_cached_store(tmp_path, "key1") is None


def test_mask_shape_must_match(tmp_path: Path) -> None:
    writer = MaskletStore.create(tmp_path / "store", meta())
    with pytest.raises(ValueError, match="does not match"):
        writer.write_frame(0, {1: np.zeros((10, 10), np.float32)})
    writer.abort()
