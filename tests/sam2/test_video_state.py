"""Frame loading and the typed state of the video predictor (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sam2.video_state import (
    IMAGE_MEAN,
    IMAGE_STD,
    ArrayFrames,
    FolderFrames,
    InferenceState,
    StreamFrames,
    open_frames,
    preprocess_frame,
)


def _frames(count: int, height: int = 12, width: int = 16) -> np.ndarray:
    return np.stack([np.full((height, width, 3), 10 * i, np.uint8) for i in range(count)])


def test_folder_frames_are_ordered_by_number(tmp_path: Path) -> None:
    for index in (10, 2, 1):
        Image.fromarray(_frames(11)[index]).save(tmp_path / f"frame_{index}.png")
    frames = open_frames(tmp_path)
    assert isinstance(frames, FolderFrames)
    assert frames.num_frames == 3 and (frames.height, frames.width) == (12, 16)
    assert [int(frames.get(i)[0, 0, 0]) for i in range(3)] == [10, 20, 100]
    with pytest.raises(IndexError):
        frames.get(3)


def test_array_and_list_sources() -> None:
    video = _frames(4)
    for source in (video, list(video)):
        frames = open_frames(source)
        assert isinstance(frames, ArrayFrames) and frames.num_frames == 4
        assert int(frames.get(3)[0, 0, 0]) == 30
    with pytest.raises(ValueError, match="uint8"):
        open_frames(video.astype(np.float32))


def test_stream_keeps_a_window_and_learns_its_length() -> None:
    frames = StreamFrames(iter(_frames(6)), window=2)
    assert frames.num_frames is None
    assert int(frames.get(0)[0, 0, 0]) == 0
    assert int(frames.get(3)[0, 0, 0]) == 30
    with pytest.raises(IndexError, match="window"):
        frames.get(1)
    assert not frames.has(6)
    assert frames.num_frames == 6
    assert isinstance(open_frames(iter(_frames(2))), StreamFrames)


def test_preprocess_squashes_and_normalises() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    out = preprocess_frame(rgb, 64)
    assert out.shape == (3, 64, 64) and out.dtype == torch.float32
    resized = np.asarray(Image.fromarray(rgb).resize((64, 64), Image.BICUBIC))
    expected = (torch.from_numpy(resized / 255.0).permute(2, 0, 1).float()
                - torch.tensor(IMAGE_MEAN)[:, None, None]) / torch.tensor(IMAGE_STD)[:, None, None]
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    same_size = preprocess_frame(rgb[:8, :8], 8)  # no resize at the model size
    expected_pixel = (rgb[0, 0, 0] / 255.0 - 0.485) / 0.229
    torch.testing.assert_close(same_size[0, 0, 0], torch.tensor(expected_pixel).float())


def test_state_objects_and_feature_lru() -> None:
    state = InferenceState(
        frames=ArrayFrames(_frames(3)), video_height=12, video_width=16, image_size=64,
        device=torch.device("cpu"), storage_device=torch.device("cpu"), feature_cache_size=2,
    )
    assert state.obj_idx(7) == 0 and state.obj_idx(3) == 1 and state.obj_idx(7) == 0
    assert state.obj_ids == [7, 3] and state.obj_idx(5, create=False) is None
    for index in range(3):
        state.cache_features(index, object())  # type: ignore[arg-type]
    assert state.cached_features(0) is None and state.cached_features(2) is not None
    image = state.image(1)
    assert image.shape == (1, 3, 64, 64)


def test_async_loading_prefetches_the_next_frame() -> None:
    video = np.random.default_rng(0).integers(0, 256, (3, 12, 16, 3), dtype=np.uint8)
    state = InferenceState(
        frames=ArrayFrames(video), video_height=12, video_width=16, image_size=32,
        device=torch.device("cpu"), storage_device=torch.device("cpu"), async_loading_frames=True,
    )
    state.image(0, next_idx=1)
    assert state._prefetch is not None and state._prefetch[0] == 1
    torch.testing.assert_close(state.image(1, next_idx=2)[0], preprocess_frame(video[1], 32))
    state.image(2, next_idx=3)  # past the end: nothing to prefetch
    assert state._prefetch is None


def test_video_file_reads_backwards_like_forwards(tmp_path: Path) -> None:
    from vfx.demo.synthetic import write_scene_video

    write_scene_video(tmp_path / "clip.mp4", width=64, height=48, frames=12, audio=False)
    forward = open_frames(tmp_path / "clip.mp4")
    assert (forward.num_frames, forward.height, forward.width) == (12, 48, 64)
    frames = [forward.get(i).copy() for i in range(12)]
    backward = open_frames(str(tmp_path / "clip.mp4"))
    for index in range(11, -1, -1):
        np.testing.assert_array_equal(backward.get(index), frames[index])
    assert len(backward._window) <= 16  # a bounded window, not the whole video
    assert not np.array_equal(frames[0], frames[11])


@pytest.mark.parametrize("rotation", [0, 90])
def test_own_reader_matches_vfx_reader_in_any_order(tmp_path: Path, rotation: int) -> None:
    """sam2 reads files itself (it imports nothing from vfx); it must see what vfx sees."""
    from sam2.video_file import PyAVFileReader
    from tests.vfx.io.clip_makers import write_clip
    from vfx.io.reader import open_video

    path = write_clip(tmp_path / "clip.mp4", frames=20, gop=3, rotation=rotation)
    own = PyAVFileReader(path)
    with open_video(path) as vfx_reader:
        assert (own.frame_count, own.height, own.width) == (
            vfx_reader.info.frame_count, vfx_reader.info.height, vfx_reader.info.width
        )
        for index in (0, 1, 2, 17, 5, 4, 19, 3, 10, 11, 0):
            np.testing.assert_array_equal(own.read(index), vfx_reader.read(index))
    with pytest.raises(IndexError):
        own.read(20)
    own.close()
