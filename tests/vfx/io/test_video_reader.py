"""open_video: files (rotation, VFR, 10-bit, odd sizes, seeking), frame folders, arrays, errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from clip_makers import level, marked_frame, write_audio_only, write_clip

from vfx.errors import VfxError
from vfx.io import Frame, open_video


def test_scene_clip_metadata_and_frames(scene_clip: tuple[Path, np.ndarray]) -> None:
    path, _ = scene_clip
    with open_video(path) as video:
        info = video.info
        frames = list(video)
    assert (info.width, info.height, info.frame_count) == (320, 240, 24)
    assert info.fps == 24.0
    assert info.duration == pytest.approx(1.0)
    assert (info.rotation, info.codec, info.pix_fmt, info.has_audio) == (0, "h264", "yuv444p", True)
    assert info.path == path
    assert [f.index for f in frames] == list(range(24))
    assert [f.time for f in frames] == pytest.approx([i / 24 for i in range(24)])
    assert all(f.rgb.shape == (240, 320, 3) and f.rgb.dtype == np.uint8 for f in frames)


def test_frames_are_the_encoded_frames(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "marked.mp4", frames=6)
    with open_video(path) as video:
        for frame in video:
            expected = marked_frame(frame.index, 64, 48)
            assert np.abs(frame.rgb.astype(int) - expected).max() <= 2


@pytest.mark.parametrize("suffix,codec", [(".mp4", "libx264"), (".webm", "libvpx-vp9")])
def test_random_reads_match_sequential_decoding(tmp_path: Path, suffix: str, codec: str) -> None:
    # keyframes every 5 frames and B-frames: reads must seek and land on the exact frame
    options = {"bf": "2"} if codec == "libx264" else {}
    pix_fmt = "yuv420p"
    path = write_clip(
        tmp_path / f"gop{suffix}", frames=30, gop=5, codec=codec, pix_fmt=pix_fmt, options=options
    )
    with open_video(path) as video:
        assert video.info.frame_count == 30
        sequential = [f.rgb for f in video]
        for index in [17, 3, 29, 11, 12, 13, 0, 25, 5]:
            assert np.array_equal(video.read(index), sequential[index]), index
        tail = list(video.frames(22, 26))
    assert [f.index for f in tail] == [22, 23, 24, 25]
    assert all(np.array_equal(f.rgb, sequential[f.index]) for f in tail)


def test_raw_stream_without_timestamps(tmp_path: Path) -> None:
    # an Annex B .h264 file has no packet timestamps: frames are counted by decoding
    path = write_clip(tmp_path / "raw.h264", frames=10, fps=25, gop=3, pix_fmt="yuv420p")
    with open_video(path) as video:
        assert (video.info.frame_count, video.info.fps) == (10, 25.0)
        assert video.info.duration == pytest.approx(0.4)
        frames = list(video)
        assert np.array_equal(video.read(7), frames[7].rgb)
    assert [f.time for f in frames] == pytest.approx([i / 25 for i in range(10)])
    assert abs(int(frames[7].rgb[-1, -1, 0]) - level(7)) <= 2


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_gives_upright_frames(tmp_path: Path, rotation: int) -> None:
    path = write_clip(tmp_path / "rotated.mp4", width=64, height=32, frames=3, rotation=rotation)
    with open_video(path) as video:
        info = video.info
        rgb = video.read(1)
    swapped = rotation in (90, 270)
    assert info.rotation == rotation
    assert (info.width, info.height) == ((32, 64) if swapped else (64, 32))
    assert rgb.shape == (info.height, info.width, 3)
    # the white block is top-left in the coded frame; turning the picture
    # counter-clockwise moves it to bottom-left (90), bottom-right (180), top-right (270)
    corners = {
        "tl": rgb[:4, :4],
        "bl": rgb[-4:, :4],
        "br": rgb[-4:, -4:],
        "tr": rgb[:4, -4:],
    }
    white = {90: "bl", 180: "br", 270: "tr"}[rotation]
    for name, block in corners.items():
        if name == white:
            assert block.min() >= 250, name
        else:
            assert abs(int(block.mean()) - level(1)) <= 3, name


def test_variable_frame_rate_times_and_seek(tmp_path: Path) -> None:
    times = [0.0, 0.04, 0.1, 0.11, 0.3, 0.5, 0.52, 0.6, 0.7, 0.71, 0.9, 1.0]
    path = write_clip(tmp_path / "vfr.mp4", frames=len(times), times=times, gop=3)
    with open_video(path) as video:
        frames = list(video)
        assert video.info.frame_count == len(times)
        assert video.info.duration == pytest.approx(1.0, abs=0.05)
        assert video.info.fps == pytest.approx(len(times) / video.info.duration, rel=0.01)
        later = next(iter(video.frames(7)))
    assert [f.time for f in frames] == pytest.approx(times, abs=1e-3)
    assert later.index == 7 and later.time == pytest.approx(0.6, abs=1e-3)
    assert abs(int(later.rgb[-1, -1, 0]) - level(7)) <= 2


@pytest.mark.parametrize(
    "codec,pix_fmt,suffix",
    [("libx264", "yuv420p10le", ".mp4"), ("ffv1", "yuv444p10le", ".mkv")],
)
def test_ten_bit_sources_become_8bit_rgb(
    tmp_path: Path, codec: str, pix_fmt: str, suffix: str
) -> None:
    path = write_clip(tmp_path / f"deep{suffix}", frames=4, codec=codec, pix_fmt=pix_fmt)
    with open_video(path) as video:
        assert video.info.pix_fmt == pix_fmt
        rgb = video.read(3)
    assert rgb.dtype == np.uint8
    assert abs(int(rgb[-1, -1, 0]) - level(3)) <= 1
    assert rgb[0, 0].min() >= 250


def test_odd_size_file(tmp_path: Path) -> None:
    path = write_clip(
        tmp_path / "odd.mkv", width=33, height=21, frames=3, codec="ffv1", pix_fmt="yuv444p"
    )
    with open_video(path) as video:
        assert (video.info.width, video.info.height) == (33, 21)
        assert video.read(2).shape == (21, 33, 3)


def test_frame_folder_ordered_by_number_and_rgb(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in [10, 2, 1]:  # 10 sorts after 2 by number, not by name
        rgb = marked_frame(index, 20, 10)
        rgb[5:, :, 0] = 200  # red bottom half tells RGB from BGR
        cv2.imwrite(str(folder / f"frame_{index}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (folder / "notes.txt").write_text("not a frame")
    with open_video(folder, fps=10) as video:
        info = video.info
        frames = list(video)
    assert (info.width, info.height, info.frame_count, info.fps, info.codec) == (
        20,
        10,
        3,
        10.0,
        "png",
    )
    assert info.has_audio is False and info.duration == pytest.approx(0.3)
    assert [int(f.rgb[-1, -1, 1]) for f in frames] == [level(1), level(2), level(10)]
    assert all(f.rgb[-1, -1, 0] == 200 for f in frames)
    assert [f.time for f in frames] == pytest.approx([0.0, 0.1, 0.2])


def test_frame_folder_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VfxError, match=r"holds no \.jpg"):
        open_video(empty)
    unnumbered = tmp_path / "unnumbered"
    unnumbered.mkdir()
    cv2.imwrite(str(unnumbered / "cover.png"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(VfxError, match="has no number in its name"):
        open_video(unnumbered)


def test_array_and_list_sources() -> None:
    stack = np.stack([marked_frame(i, 8, 6) for i in range(5)])  # [T, H, W, 3]
    with open_video(stack) as video:
        assert (len(video), video.info.fps, video.info.path) == (5, 30.0, None)
        assert np.array_equal(video.read(4), stack[4])
    with open_video(list(stack), fps=5) as video:
        frames = list(video.frames(1, 3))
    assert frames[0] == frames[0] and isinstance(frames[0], Frame)
    assert [(f.index, f.time) for f in frames] == [(1, 0.2), (2, 0.4)]
    with pytest.raises(VfxError, match="dtype uint8"):
        open_video(stack.astype(np.float32))
    with pytest.raises(VfxError, match="same size"):
        open_video([stack[0], stack[0, :4]])


def test_read_out_of_range(scene_clip: tuple[Path, np.ndarray]) -> None:
    with open_video(scene_clip[0]) as video, pytest.raises(IndexError):
        video.read(24)


def _bad_file(path: Path, kind: str) -> Path:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random-bytes":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "text":
        path.write_text("hello, I am text\n" * 20)
    elif kind == "audio-only":
        path = write_audio_only(path.with_suffix(".m4a"))
    return path


@pytest.mark.parametrize(
    "kind,reason",
    [
        ("missing", "does not exist"),
        ("empty", "the file is empty"),
        ("random-bytes", "not a video PyAV"),
        ("text", "not a video PyAV"),
        ("audio-only", "has no video stream"),
    ],
)
def test_bad_files_raise_one_line_errors(tmp_path: Path, kind: str, reason: str) -> None:
    path = _bad_file(tmp_path / "clip.mp4", kind)
    with pytest.raises(VfxError, match=reason) as caught:
        open_video(path)
    assert "\n" not in caught.value.message
    assert str(path) in caught.value.message


def test_fps_for_a_file_is_refused(scene_clip: tuple[Path, np.ndarray]) -> None:
    with pytest.raises(VfxError, match="keeps its own timing"):
        open_video(scene_clip[0], fps=12)
