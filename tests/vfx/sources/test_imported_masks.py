"""load_masks: every --masks layout, read back exactly, and its errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from vfx.errors import VfxError
from vfx.sources import MaskSource, load_masks


def _soft_masks(frames: int = 4, h: int = 12, w: int = 16, seed: int = 0) -> np.ndarray:
    """``[T, H, W]`` uint8 masks with a hard core and soft values."""
    rng = np.random.default_rng(seed)
    masks = np.zeros((frames, h, w), np.uint8)
    for t in range(frames):
        masks[t, 2:8, t + 1 : t + 9] = 255
        masks[t, 8, t + 1 : t + 9] = rng.integers(1, 255, 8)
    return masks


def _write_pngs(
    folder: Path, masks: np.ndarray, pattern: str = "{:05d}.png", start: int = 0
) -> None:
    folder.mkdir(parents=True)
    for t, m in enumerate(masks):
        cv2.imwrite(str(folder / pattern.format(t + start)), m)


def _write_video(path: Path, masks: np.ndarray, codec: str, fps: Fraction) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = masks.shape[2], masks.shape[1]
        stream.pix_fmt = "gray" if codec == "ffv1" else "yuv420p"
        for m in masks:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(m, format="gray")))
        container.mux(stream.encode())


def test_png_folder_is_object_one_in_frame_number_order(tmp_path: Path) -> None:
    masks = _soft_masks()
    _write_pngs(
        tmp_path / "m", masks, pattern="mask_{}.png", start=8
    )  # 8..11: "10" sorts after "9"
    src = load_masks(tmp_path / "m", size=(16, 12), frame_count=4)
    assert isinstance(src, MaskSource)
    assert src.object_ids == [1] and src.frame_count == 4 and src.size == (16, 12)
    for t in range(4):
        got = src.masks_at(t)[1]
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, masks[t] / 255.0, atol=1e-6)


def test_object_folders_named_by_id(tmp_path: Path) -> None:
    masks = _soft_masks()
    _write_pngs(tmp_path / "m" / "3_dog", masks)
    _write_pngs(tmp_path / "m" / "1", 255 - masks)
    src = load_masks(tmp_path / "m")
    assert src.object_ids == [1, 3]
    assert src.names == {1: "obj1", 3: "dog"}
    got = src.masks_at(2)
    np.testing.assert_allclose(got[3], masks[2] / 255.0, atol=1e-6)
    np.testing.assert_allclose(got[1], (255 - masks[2]) / 255.0, atol=1e-6)


def test_sixteen_bit_png(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    mask = np.zeros((6, 5), np.uint16)
    mask[1:4, 2:] = 65535
    mask[5, 0] = 32768
    cv2.imwrite(str(folder / "0.png"), mask)
    got = load_masks(folder).masks_at(0)[1]
    assert got[2, 3] == 1.0 and got[0, 0] == 0.0
    assert got[5, 0] == pytest.approx(32768 / 65535)


def test_palette_pngs_are_label_maps(tmp_path: Path) -> None:
    folder = tmp_path / "davis"
    folder.mkdir()
    labels = np.zeros((3, 10, 12), np.uint8)
    labels[:, 1:4, 1:4] = 1
    labels[:, 5:9, 6:11] = 2
    labels[2, 0, 0] = 5
    for t, lab in enumerate(labels):
        img = Image.frombytes("P", (lab.shape[1], lab.shape[0]), lab.tobytes())
        img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128, 128, 0, 128] * 10)
        img.save(folder / f"{t:05d}.png")
    src = load_masks(folder)
    assert src.object_ids == [1, 2, 5]
    for t in range(3):
        got = src.masks_at(t)
        for obj in (1, 2, 5):
            np.testing.assert_array_equal(got[obj], (labels[t] == obj).astype(np.float32))


def test_labels_prefix_reads_gray_label_maps(tmp_path: Path) -> None:
    labels = np.zeros((2, 8, 8), np.uint8)
    labels[:, :4] = 7
    labels[1, 6:, 6:] = 9
    _write_pngs(tmp_path / "lab", labels)
    src = load_masks(f"labels:{tmp_path / 'lab'}")
    assert src.object_ids == [7, 9]
    np.testing.assert_array_equal(src.masks_at(1)[9], (labels[1] == 9).astype(np.float32))
    # without the prefix the same folder is one soft mask
    assert load_masks(tmp_path / "lab").object_ids == [1]


def test_ffv1_mask_video_is_exact_and_keeps_fps(tmp_path: Path) -> None:
    masks = _soft_masks(frames=5)
    _write_video(tmp_path / "m.mkv", masks, "ffv1", Fraction(30000, 1001))
    src = load_masks(tmp_path / "m.mkv", size=(16, 12), frame_count=5)
    assert src.fps == pytest.approx(30000 / 1001)
    for t in (0, 3, 1, 4):  # out of order too
        np.testing.assert_allclose(src.masks_at(t)[1], masks[t] / 255.0, atol=1e-6)


def test_lossy_mask_video_is_cleaned_near_black_and_white(tmp_path: Path) -> None:
    masks = np.zeros((4, 32, 48), np.uint8)
    for t in range(4):
        masks[t, 8:24, 4 + 4 * t : 24 + 4 * t] = 255
    _write_video(tmp_path / "m.mp4", masks, "libx264", Fraction(24))
    src = load_masks(tmp_path / "m.mp4")
    for t in range(4):
        got = src.masks_at(t)[1]
        assert np.all(got[masks[t] == 255] > 0.9)
        assert np.mean(got[masks[t] == 0] == 0.0) > 0.95
        np.testing.assert_array_equal(got >= 0.5, masks[t] == 255)


def test_mismatch_with_video_is_reported(tmp_path: Path) -> None:
    _write_pngs(tmp_path / "m", _soft_masks())
    with pytest.raises(VfxError, match=r"16x12 but the video is 32x12"):
        load_masks(tmp_path / "m", size=(32, 12))
    with pytest.raises(VfxError, match="have 4 frames but the video has 5"):
        load_masks(tmp_path / "m", frame_count=5)


def test_object_folders_must_agree(tmp_path: Path) -> None:
    _write_pngs(tmp_path / "m" / "1", _soft_masks(frames=4))
    _write_pngs(tmp_path / "m" / "2", _soft_masks(frames=3))
    with pytest.raises(VfxError, match=r"object 2 .* has 3 mask frames, others 4"):
        load_masks(tmp_path / "m")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["0.png", "2.png"], "mask frame 1 is missing"),
        (["a.png"], "no frame number"),
        (["notes.txt"], "holds no mask images"),
    ],
)
def test_bad_folders_are_one_line_errors(tmp_path: Path, names: list[str], message: str) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for name in names:
        if name.endswith(".png"):
            cv2.imwrite(str(folder / name), np.zeros((4, 4), np.uint8))
        else:
            (folder / name).write_text("x")
    with pytest.raises(VfxError, match=message) as err:
        load_masks(folder)
    assert "\n" not in str(err.value)


def test_missing_path_and_bad_video(tmp_path: Path) -> None:
    with pytest.raises(VfxError, match="do not exist"):
        load_masks(tmp_path / "nope")
    (tmp_path / "junk.mkv").write_bytes(b"not a video")
    with pytest.raises(VfxError, match="cannot read mask video"):
        load_masks(tmp_path / "junk.mkv")


def test_index_outside_masks(tmp_path: Path) -> None:
    _write_pngs(tmp_path / "m", _soft_masks())
    with pytest.raises(VfxError, match="frame 4 is outside"):
        load_masks(tmp_path / "m").masks_at(4)


def test_frames_of_other_sizes_and_broken_images(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    cv2.imwrite(str(folder / "0.png"), np.zeros((4, 4), np.uint8))
    cv2.imwrite(str(folder / "1.png"), np.zeros((4, 5), np.uint8))
    with pytest.raises(VfxError, match="is 5x4, the first one 4x4"):
        load_masks(folder).masks_at(1)
    broken = tmp_path / "b"
    broken.mkdir()
    (broken / "0.png").write_bytes(b"not a png")
    with pytest.raises(VfxError, match="cannot read mask image"):
        load_masks(broken)
