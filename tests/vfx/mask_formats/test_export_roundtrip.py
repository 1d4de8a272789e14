"""export_masks -> load_masks gives the masks back, for every format."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from pycocotools import mask as coco_mask

from vfx.demo.synthetic import write_scene_video
from vfx.errors import VfxError
from vfx.mask_formats import export_masks
from vfx.masks import MaskletStore
from vfx.sources import ChromaKeySource, load_masks

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

W, H, T = 48, 32, 6


def _make_store(
    folder: Path, fps: float = 24.0, with_video: bool = True, width: int = W, height: int = H
) -> MaskletStore:
    """A store over a small scene clip: object 1 soft-edged, object 2 binary."""
    folder.mkdir(exist_ok=True)
    video = folder / "clip.mp4"
    truth = write_scene_video(video, width=width, height=height, frames=T, fps=24, audio=False)
    meta = {
        "width": width,
        "height": height,
        "fps": fps,
        "frame_count": T,
        "objects": [{"id": 1, "name": "disc"}, {"id": 2, "name": "box"}],
        "video": {"path": str(video) if with_video else None, "hash": "test"},
    }
    with MaskletStore.create(folder / "store", meta) as writer:
        for t in range(T):
            soft = cv2.GaussianBlur(truth[t, 0].astype(np.float32), (0, 0), 1.0)
            writer.write_frame(t, {1: soft, 2: truth[t, 1].astype(np.float32)})
    return MaskletStore.open(folder / "store")


@pytest.fixture
def store(tmp_path: Path) -> MaskletStore:
    return _make_store(tmp_path)


def _assert_same(store: MaskletStore, back, atol: float = 0.0, ids=(1, 2)) -> None:
    assert back.frame_count == T and back.size == (W, H)
    for t in range(T):
        want, got = store.masks_at(t), back.masks_at(t)
        for obj in ids:
            np.testing.assert_allclose(got[obj], want[obj], atol=atol, rtol=0)


def test_store_has_soft_values(store: MaskletStore) -> None:
    values = np.unique(store.masks_at(2)[1])
    assert len(values) > 10  # the round trips below really test soft values


@pytest.mark.parametrize(("fmt", "out"), [("png", "png"), ("ffv1", "ffv1"), ("npz", "m.npz")])
def test_lossless_formats_round_trip_exactly(
    store: MaskletStore, tmp_path: Path, fmt: str, out: str
) -> None:
    result = export_masks(store, tmp_path / out, fmt)
    assert result.frame_count == T and result.objects == {1: "disc", 2: "box"}
    back = load_masks(tmp_path / out)
    assert back.names == {1: "disc", 2: "box"}
    assert back.fps == 24.0
    # png and ffv1 keep the store's 8-bit values exactly; npz keeps float16
    _assert_same(store, back, atol=0.0 if fmt != "npz" else 1e-3)


def test_png_union_and_labels(store: MaskletStore, tmp_path: Path) -> None:
    export_masks(store, tmp_path / "u", "png", combine="union")
    assert sorted(p.name for p in (tmp_path / "u").glob("*.png"))[:2] == ["00000.png", "00001.png"]
    union = load_masks(tmp_path / "u")
    assert union.object_ids == [1] and union.names == {1: "disc+box"}
    for t in range(T):
        m = store.masks_at(t)
        np.testing.assert_allclose(union.masks_at(t)[1], np.maximum(m[1], m[2]), atol=0)
    export_masks(store, tmp_path / "lab", "png", combine="labels")
    labels = load_masks(tmp_path / "lab")
    assert labels.object_ids == [1, 2]
    raw = cv2.imread(str(tmp_path / "lab" / "00003.png"), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(raw)) <= {0, 1, 2}
    for t in range(T):
        m, got = store.masks_at(t), labels.masks_at(t)
        np.testing.assert_array_equal(got[2], (m[2] >= 0.5).astype(np.float32))
        np.testing.assert_array_equal(got[1], ((m[1] >= 0.5) & (m[1] >= m[2])).astype(np.float32))


def test_ffv1_is_lossless_with_exact_count_and_rational_fps(tmp_path: Path) -> None:
    store = _make_store(tmp_path, fps=30000 / 1001, with_video=False)
    export_masks(store, tmp_path / "one.mkv", "ffv1", objects=[1])
    with av.open(str(tmp_path / "one.mkv")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "ffv1"
        assert stream.average_rate == Fraction(30000, 1001)
        decoded = [f.to_ndarray(format="gray") for f in container.decode(stream)]
    assert len(decoded) == T
    for t in range(T):
        np.testing.assert_array_equal(decoded[t], store.mask_uint8(1, t))
    back = load_masks(tmp_path / "one.mkv")
    assert back.object_ids == [1] and back.names == {1: "disc"}
    export_masks(store, tmp_path / "lab.mkv", "ffv1", combine="labels")
    assert load_masks(tmp_path / "lab.mkv").object_ids == [1, 2]
    with pytest.raises(VfxError, match="2 objects need one video each"):
        export_masks(store, tmp_path / "two.mkv", "ffv1")


def test_coco_rle_decodes_with_pycocotools(store: MaskletStore, tmp_path: Path) -> None:
    export_masks(store, tmp_path / "m.json", "coco-rle")
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["videos"][0]["length"] == T
    by_id = {a["id"]: a for a in document["annotations"]}
    for obj in (1, 2):
        segs = by_id[obj]["segmentations"]
        assert len(segs) == T
        for t, rle in enumerate(segs):
            want = store.masks_at(t)[obj] >= 0.5
            decoded = coco_mask.decode({"size": rle["size"], "counts": rle["counts"].encode()})
            np.testing.assert_array_equal(decoded, want.astype(np.uint8))
            assert by_id[obj]["areas"][t] == int(want.sum())
    back = load_masks(tmp_path / "m.json")
    assert back.names == {1: "disc", 2: "box"}
    for t in range(T):
        for obj in (1, 2):
            want = (store.masks_at(t)[obj] >= 0.5).astype(np.float32)
            np.testing.assert_array_equal(back.masks_at(t)[obj], want)


def test_vace_is_conformed_with_white_region_and_gray_source(
    store: MaskletStore, tmp_path: Path
) -> None:
    result = export_masks(store, tmp_path / "vace", "vace", objects=[2])
    assert result.frame_count == 9  # 6 -> next 4n+1
    out = tmp_path / "vace"
    with av.open(str(out / "src_mask.mp4")) as c:
        masks = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    with av.open(str(out / "src_video.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(masks) == len(frames) == 9
    assert masks[0].shape == (32, 48) and frames[0].shape == (32, 48, 3)  # 48x32 already /16
    sidecar = json.loads((out / "vfx-masks.json").read_text())
    assert sidecar["conform"]["source_indices"] == [0, 1, 2, 3, 4, 5, 5, 5, 5]
    assert sidecar["conform"]["padded_frames"] == 3
    for i, t in enumerate(sidecar["conform"]["source_indices"]):
        want = store.masks_at(t)[2] >= 0.5
        assert set(np.unique(masks[i])) <= {0, 255}
        np.testing.assert_array_equal(masks[i] == 255, want)
        assert np.all(frames[i][want] == 127)
        assert np.abs(frames[i][~want].astype(int) - 127).max() > 40  # the rest is the picture
    back = load_masks(out)
    assert back.frame_count == 9 and back.size == (48, 32)
    np.testing.assert_array_equal(
        back.masks_at(7)[2], (store.masks_at(5)[2] >= 0.5).astype(np.float32)
    )


def test_vace_resamples_fps_and_inverts(store: MaskletStore, tmp_path: Path) -> None:
    export_masks(store, tmp_path / "v16", "vace", fps=16, frames="trim", invert=True)
    sidecar = json.loads((tmp_path / "v16" / "vfx-masks.json").read_text())
    assert (
        sidecar["fps"] == 16 and sidecar["frame_count"] == 1
    )  # 6 frames @24 -> 4 @16 -> trim to 1
    assert sidecar["conform"]["resampled_frame_count"] == 4
    with av.open(str(tmp_path / "v16" / "src_mask.mp4")) as c:
        assert c.streams.video[0].average_rate == 16
        (inverted,) = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    union = np.maximum(*store.masks_at(0).values()) >= 0.5
    np.testing.assert_array_equal(inverted == 255, ~union)


@pytest.mark.parametrize(("sides", "size"), [("pad", (48, 32)), ("resize", (48, 32))])
def test_vace_conforms_odd_sides(tmp_path: Path, sides: str, size: tuple[int, int]) -> None:
    store = _make_store(tmp_path, width=41, height=30)  # resize: 41/16 = 2.6 -> 48, 30/16 -> 32
    export_masks(store, tmp_path / "v", "vace", sides=sides)
    with av.open(str(tmp_path / "v" / "src_mask.mp4")) as c:
        masks = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    with av.open(str(tmp_path / "v" / "src_video.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(masks) == 9 and masks[0].shape == (size[1], size[0]) == frames[0].shape[:2]
    sidecar = json.loads((tmp_path / "v" / "vfx-masks.json").read_text())
    assert sidecar["conform"]["size"] == list(size) and sidecar["conform"]["source_size"] == [
        41,
        30,
    ]
    union = np.maximum(*store.masks_at(2).values()) >= 0.5
    if sides == "pad":
        np.testing.assert_array_equal(masks[2][:30, :41] == 255, union)
        assert not masks[2][30:].any() and not masks[2][:, 41:].any()  # padding is "keep"
        np.testing.assert_array_equal(frames[2][:, 41:], np.repeat(frames[2][:, 40:41], 7, axis=1))
    else:
        assert abs(int((masks[2] == 255).sum()) - union.sum() * (48 * 32) / (41 * 30)) < 40


def test_vace_needs_the_video(tmp_path: Path) -> None:
    store = _make_store(tmp_path, with_video=False)
    with pytest.raises(VfxError, match="needs the source frames; pass --video"):
        export_masks(store, tmp_path / "vace", "vace")
    assert not (tmp_path / "vace").exists()
    result = export_masks(store, tmp_path / "vace", "vace", video=tmp_path / "clip.mp4")
    assert result.frame_count == 9


def test_comfy_masks_and_images_with_resize(store: MaskletStore, tmp_path: Path) -> None:
    export_masks(store, tmp_path / "c", "comfy")
    back = load_masks(tmp_path / "c")
    assert back.object_ids == [1] and back.frame_count == T
    for t in range(T):
        m = store.masks_at(t)
        np.testing.assert_allclose(back.masks_at(t)[1], np.maximum(m[1], m[2]), atol=0)
    image = cv2.imread(str(tmp_path / "c" / "images" / "00002.png"))
    assert image.shape == (H, W, 3)
    export_masks(store, tmp_path / "c2", "comfy", frames="pad", sides="resize", objects=[1])
    resized = load_masks(tmp_path / "c2")
    assert resized.frame_count == 9 and resized.size == (48, 32)


def test_dilate_feather_threshold_invert(store: MaskletStore, tmp_path: Path) -> None:
    export_masks(store, tmp_path / "t", "png", objects=[1], threshold=0.5)
    hard = load_masks(tmp_path / "t").masks_at(3)[1]
    assert set(np.unique(hard)) == {0.0, 1.0}
    export_masks(store, tmp_path / "d", "png", objects=[1], threshold=0.5, dilate=3)
    grown = load_masks(tmp_path / "d").masks_at(3)[1]
    assert grown.sum() > hard.sum() + 20 and np.all(grown[hard == 1] == 1)
    export_masks(store, tmp_path / "f", "png", objects=[1], threshold=0.5, feather=2)
    soft = load_masks(tmp_path / "f").masks_at(3)[1]
    assert ((soft > 0) & (soft < 1)).sum() > ((hard > 0) & (hard < 1)).sum()
    export_masks(store, tmp_path / "i", "png", objects=[1], threshold=0.5, invert=True)
    np.testing.assert_array_equal(load_masks(tmp_path / "i").masks_at(3)[1], 1.0 - hard)


def test_chroma_key_source_exports_with_video(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    truth = write_scene_video(video, width=W, height=H, frames=T, fps=24, audio=False)
    result = export_masks(ChromaKeySource("green"), tmp_path / "k.mkv", "ffv1", video=video)
    assert result.frame_count == T and result.objects == {1: "foreground"}
    back = load_masks(tmp_path / "k.mkv", size=(W, H), frame_count=T)
    keyed = back.masks_at(4)[1] >= 0.5
    fg = truth[4].any(axis=0)
    assert (keyed & fg).sum() / (keyed | fg).sum() > 0.95


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "gif"}, "unknown mask format 'gif'"),
        ({"format": "png", "objects": [7]}, r"object 7 is not in the masks \(objects: 1, 2\)"),
        ({"format": "npz", "combine": "labels"}, "npz stores per-object probabilities"),
        ({"format": "vace"}, None),
        ({"format": "png", "fps": 16}, "--fps apply to the vace and comfy formats only"),
        ({"format": "vace", "combine": "separate"}, "vace takes one mask"),
        ({"format": "png", "combine": "labels", "invert": True}, "--invert does not apply"),
        ({"format": "png", "threshold": 2.0}, r"--threshold must be in \(0, 1\]"),
    ],
)
def test_export_errors(
    store: MaskletStore, tmp_path: Path, kwargs: dict, message: str | None
) -> None:
    fmt = kwargs.pop("format")
    if message is None:  # the default union works; only the check above needs an error
        export_masks(store, tmp_path / "ok", fmt, **kwargs)
        return
    with pytest.raises(VfxError, match=message) as err:
        export_masks(store, tmp_path / "out", fmt, **kwargs)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_existing_output_needs_force_and_video_must_match(
    store: MaskletStore, tmp_path: Path
) -> None:
    (tmp_path / "o").mkdir()
    with pytest.raises(VfxError, match="already exists; pass --force"):
        export_masks(store, tmp_path / "o", "png")
    export_masks(store, tmp_path / "o", "png", force=True)
    assert (tmp_path / "o" / "1" / "00005.png").is_file()
    other = tmp_path / "other.mp4"
    write_scene_video(other, width=W, height=H, frames=T + 1, fps=24, audio=False)
    with pytest.raises(VfxError, match=r"the masks have 6 frames but .* has 7"):
        export_masks(store, tmp_path / "x", "png", video=other)


def test_imports_remember_the_video_and_stores_open_directly(
    store: MaskletStore, tmp_path: Path
) -> None:
    assert isinstance(load_masks(store.path, size=(W, H), frame_count=T), MaskletStore)
    export_masks(store, tmp_path / "m.npz", "npz")
    imported = load_masks(tmp_path / "m.npz")
    assert imported.video_path == tmp_path / "clip.mp4"
    result = export_masks(imported, tmp_path / "vace", "vace")  # frames from the recorded video
    assert result.frame_count == 9
    assert (
        load_masks(tmp_path / "vace").video_path is None
    )  # conformed: no longer that video's frames
