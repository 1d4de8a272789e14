"""The automatic-mask candidate cache: round trip, damage, what the key holds, hits and misses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vfx.sources.auto_candidates as auto_candidates
from vfx.masks.cache_inventory import AUTO_CANDIDATES_FOLDER
from vfx.sources.auto_candidates import (
    CACHE_FORMAT,
    Candidate,
    candidate_cache_file,
    frame_candidates,
    generator_settings,
    read_candidates,
    write_candidates,
)


def _candidates(height: int = 30, width: int = 40) -> list[Candidate]:
    rng = np.random.default_rng(5)
    masks = [rng.random((height, width)) > 0.6, np.zeros((height, width), dtype=bool)]
    masks[1][10:, 25:] = True  # runs to the last pixel (column-major)
    masks.append(np.ones((height, width), dtype=bool))
    return [
        Candidate(
            id=index + 1,
            mask=mask,
            bbox=[1.0 * index, 2.0, 3.5, 4.0],
            area=int(mask.sum()),
            score=0.9 - index / 7,
            stability=0.95 + index / 100,
        )
        for index, mask in enumerate(masks)
    ]


def _same(a: list[Candidate], b: list[Candidate]) -> None:
    assert [c.id for c in a] == [c.id for c in b]
    for mine, theirs in zip(a, b, strict=True):
        np.testing.assert_array_equal(mine.mask, theirs.mask)
        assert mine.mask.dtype == theirs.mask.dtype == bool
        assert (mine.bbox, mine.area, mine.score, mine.stability) == (
            theirs.bbox, theirs.area, theirs.score, theirs.stability
        )  # fmt: skip


def test_candidates_round_trip_exactly(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "key.npz"
    candidates = _candidates()
    write_candidates(path, candidates)
    _same(read_candidates(path), candidates)
    assert [p.name for p in path.parent.iterdir()] == ["key.npz"]  # no temporaries left
    write_candidates(path, [])
    assert read_candidates(path) == []


def test_missing_damaged_or_foreign_files_are_misses(tmp_path: Path) -> None:
    path = tmp_path / "key.npz"
    assert read_candidates(path) is None
    write_candidates(path, _candidates())
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert read_candidates(path) is None
    path.write_bytes(b"not a zip file")
    assert read_candidates(path) is None
    np.savez(path, format=np.int64(999), size=np.array([1, 1]))
    assert read_candidates(path) is None
    # runs that do not cover the frame are refused, not decoded into a wrong mask
    np.savez(path, format=np.int64(CACHE_FORMAT), size=np.array([2, 2]),
             run_counts=np.array([2]), runs=np.array([1, 2]), bbox=np.zeros((1, 4)),
             area=np.array([2]), score=np.ones(1), stability=np.ones(1))  # fmt: skip
    assert read_candidates(path) is None


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A file named like an official checkpoint: the key reads its bytes, never loads it."""
    path = tmp_path / "sam2.1_hiera_tiny.pt"
    path.write_bytes(b"weights v1")
    return path


def _key(checkpoint: Path, **changes) -> Path:
    arguments = dict(video_hash="a" * 32, frame=0, model=None, checkpoint=checkpoint,
                     device="cpu", generator_options=None, cache_dir=Path("/cache"))  # fmt: skip
    arguments.update(changes)
    video_hash, frame = arguments.pop("video_hash"), arguments.pop("frame")
    return candidate_cache_file(video_hash, frame, **arguments)


def test_the_key_holds_video_frame_model_device_and_settings(checkpoint: Path) -> None:
    base = _key(checkpoint)
    assert base.parent == Path("/cache") / AUTO_CANDIDATES_FOLDER
    assert base.suffix == ".npz"
    # the defaults written out, or a different output mode, are the same candidates
    assert _key(checkpoint, generator_options={"points_per_side": 32}) == base
    assert _key(checkpoint, generator_options={"output_mode": "coco_rle"}) == base
    changed = [
        _key(checkpoint, video_hash="b" * 32),
        _key(checkpoint, frame=3),
        _key(checkpoint, generator_options={"points_per_side": 16}),
        _key(checkpoint, generator_options={"pred_iou_thresh": 0.5}),
        _key(checkpoint, device="meta"),
    ]
    checkpoint.write_bytes(b"weights v2")  # other weights under the same name
    changed.append(_key(checkpoint))
    assert len({base, *changed}) == len(changed) + 1


def test_generator_settings_fill_in_every_default() -> None:
    settings = generator_settings({"use_m2m": True, "output_mode": "binary_mask"})
    assert settings["use_m2m"] is True and settings["points_per_side"] == 32
    assert "output_mode" not in settings and settings["crop_n_layers"] == 0


def test_frame_candidates_generate_once_then_read_the_cache(
    tmp_path: Path, checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vfx.demo.synthetic import write_scene_video
    from vfx.io.reader import open_video

    video = tmp_path / "clip.mp4"
    write_scene_video(video, 64, 48, 3, 24, objects=1, audio=False)
    calls: list[int] = []

    def segment(rgb, **kwargs):  # the generator, minus the model: one mask per call
        calls.append(1)
        assert rgb.shape == (48, 64, 3) and kwargs["checkpoint"] == checkpoint
        return _candidates(48, 64)[:1]

    monkeypatch.setattr(auto_candidates, "segment_frame", segment)
    options = dict(checkpoint=checkpoint, device="cpu", cache_dir=tmp_path / "cache")
    with open_video(video) as reader:
        first = frame_candidates(reader, 1, **options)
        second = frame_candidates(reader, 1, **options)
        assert len(calls) == 1
        _same(second, first)
        frame_candidates(reader, 2, **options)  # another frame: generated
        frame_candidates(reader, 1, generator_options={"points_per_side": 8}, **options)
    assert len(calls) == 3
    assert len(list((tmp_path / "cache" / AUTO_CANDIDATES_FOLDER).glob("*.npz"))) == 3
