"""Issue 14: malformed metadata, size bombs and silent wrong results.

Each case runs the real CLI entry point and must end in one ``vfx: error:`` line
with exit code 1 and no traceback. The size bombs run in a subprocess that
reports its peak RSS, so the memory bound below is measured.
"""

from __future__ import annotations

import json
import os
import shutil
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.e2e.conftest import FRAMES, HEIGHT, WIDTH, Clip, run_vfx
from tests.measured_cli import measured_vfx
from vfx.masks import MaskletStore

BOMB_SECONDS = 15.0
BOMB_PEAK_MB = 300  # the CLI process alone peaks at about 85 MB (VmHWM) on these refusals


def _one_line(capsys, args: list[str], *fragments: str) -> str:
    code, _, err = run_vfx(args, capsys)
    assert code == 1, err
    assert err.startswith("vfx: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def _render_with(clip: Clip, masks: str | Path, *extra: str) -> list[str]:
    return ["render", str(clip.video), "-o", "out.mp4", "--preset", "background-blur",
            "--masks", str(masks), "--quiet", *extra]  # fmt: skip


def _coco(path: Path, *, width=WIDTH, height=HEIGHT, ident=1, counts=None, size=None) -> Path:
    counts = [WIDTH * HEIGHT] if counts is None else counts
    rle = {"size": size or [HEIGHT, WIDTH], "counts": counts}
    document = {
        "videos": [{"id": 1, "width": width, "height": height, "length": FRAMES}],
        "annotations": [{"id": ident, "segmentations": [rle] * FRAMES}],
    }
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    "case,fragment",
    [
        ("id", "annotation 0 id is 'x'"),
        ("width", "width is '160'"),
        ("negative", "negative run lengths"),
        ("size", "not the video's [96, 160]"),
    ],
)
def test_malformed_coco_is_one_line(clip: Clip, tmp_path: Path, capsys, case, fragment):
    kwargs = {
        "id": {"ident": "x"},
        "width": {"width": "160"},
        "negative": {"counts": [-5, WIDTH * HEIGHT + 5]},
        "size": {"size": [40000, 40000], "counts": [1600000000]},
    }[case]
    path = _coco(tmp_path / f"{case}.json", **kwargs)
    _one_line(capsys, _render_with(clip, path), fragment)


def test_malformed_npz_is_one_line(clip: Clip, tmp_path: Path, capsys):
    strings = tmp_path / "strings.npz"
    np.savez(strings, masks=np.full((FRAMES, HEIGHT, WIDTH), "a"))
    _one_line(capsys, _render_with(clip, strings), "array of numbers")
    ids2d = tmp_path / "ids.npz"
    np.savez(ids2d, masks=np.zeros((FRAMES, 1, HEIGHT, WIDTH), np.uint8), object_ids=[[1]])
    _one_line(capsys, _render_with(clip, ids2d), "'object_ids' must be a 1-D array")


def _store(tmp_path: Path, clip: Clip) -> Path:
    folder = tmp_path / "store"
    meta = {"width": WIDTH, "height": HEIGHT, "fps": 24, "frame_count": FRAMES,
            "objects": [{"id": 1, "name": "a"}]}  # fmt: skip
    with MaskletStore.create(folder, meta) as writer:
        for t in range(FRAMES):
            writer.write_frame(t, {1: clip.masks[t, 0]})
    return folder


@pytest.mark.parametrize(
    "edit,fragment",
    [
        (lambda m: m.update(chunk_frames=0), "chunk_frames must be a whole number in 1.."),
        (lambda m: m.pop("width"), "no 'width'"),
        (lambda m: m.update(fps="fast"), "fps must be a positive number"),
    ],
)
def test_malformed_store_meta_is_one_line(clip: Clip, tmp_path: Path, capsys, edit, fragment):
    folder = _store(tmp_path, clip)
    meta = json.loads((folder / "meta.json").read_text())
    edit(meta)
    (folder / "meta.json").write_text(json.dumps(meta))
    _one_line(capsys, _render_with(clip, folder), fragment)


def test_sidecar_with_a_string_fps_is_one_line(clip: Clip, tmp_path: Path, capsys):
    export = tmp_path / "export"
    assert run_vfx(["masks", "export", "--masks", str(clip.masks_dir), "-o", str(export),
                    "--format", "png"], capsys)[0] == 0  # fmt: skip
    sidecar = export / "vfx-masks.json"
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "fps": "24"}))
    _one_line(capsys, _render_with(clip, export), "has fps '24'")


def test_fifo_as_masks_is_one_line(clip: Clip, tmp_path: Path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _one_line(capsys, _render_with(clip, fifo), "not a file or folder")


def test_device_without_support_is_refused_before_the_model(clip: Clip, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    args = ["render", str(clip.video), "-o", "out.mp4", "--preset", "background-blur",
            "--point", "0:40,40", "--device", "cuda"]  # fmt: skip
    _one_line(capsys, args, "--device cuda", "use --device cpu")


@pytest.mark.parametrize(
    "option,value",
    [("--dilate", "1e9"), ("--feather", "inf"), ("--dilate", "nan"), ("--fps", "1e9")],
)
def test_numeric_options_are_range_checked(clip: Clip, tmp_path: Path, capsys, option, value):
    fmt = "comfy" if option == "--fps" else "png"
    args = ["masks", "export", "--masks", str(clip.masks_dir), "-o", str(tmp_path / "x"),
            "--format", fmt, option, value]  # fmt: skip
    _one_line(capsys, args, f"{option} must be between")
    assert not (tmp_path / "x").exists()


def test_mixed_bit_depths_and_float_masks_are_refused(clip: Clip, tmp_path: Path, capsys):
    mixed = tmp_path / "mixed"
    shutil.copytree(clip.masks_dir / "1", mixed)
    sixteen = clip.masks[5, 0].astype(np.uint16) * 65535
    cv2.imwrite(str(mixed / "00005.png"), sixteen)
    _one_line(capsys, _render_with(clip, mixed), "is 16-bit, the first one 8-bit")
    floats = tmp_path / "floats"
    floats.mkdir()
    for t in range(FRAMES):
        cv2.imwrite(str(floats / f"{t:05d}.tiff"), clip.masks[t, 0].astype(np.float32))
    _one_line(capsys, _render_with(clip, floats), "holds float32 values")


def test_object_zero_folder_is_refused(clip: Clip, tmp_path: Path, capsys):
    masks = tmp_path / "objects"
    shutil.copytree(clip.masks_dir / "1", masks / "0")
    _one_line(capsys, _render_with(clip, masks), "object 0, but 0 is the background")


def test_named_mask_with_an_absent_object_is_refused(clip: Clip, tmp_path: Path, capsys):
    masks = tmp_path / "one"
    shutil.copytree(clip.masks_dir / "1", masks / "1")
    args = _render_with(clip, masks, "--set", "subject.objects=[5]")
    _one_line(capsys, args, "mask 'subject' uses object 5, but the masks hold objects 1")
    assert not Path("out.mp4").exists()


def _label_bomb(folder: Path) -> Path:
    """Label maps (16-bit PNG) where every pixel is its own object id: 15360 objects."""
    folder.mkdir()
    ids = np.arange(1, WIDTH * HEIGHT + 1, dtype=np.uint16).reshape(HEIGHT, WIDTH)
    for t in range(FRAMES):
        cv2.imwrite(str(folder / f"{t:05d}.png"), ids)
    return folder


def _chunk_bomb(tmp_path: Path, clip: Clip) -> Path:
    """A store whose first chunk's frame 0 inflates to 1 GB instead of WIDTH x HEIGHT bytes."""
    folder = _store(tmp_path, clip)
    chunk = folder / "objects" / "1" / "000000.bin"
    data = chunk.read_bytes()
    count = int.from_bytes(data[4:8], "little")
    offsets = np.frombuffer(data, "<u4", count + 1, 8).astype(np.int64)
    body = 8 + 4 * (count + 1)
    blobs = [data[body + offsets[i] : body + offsets[i + 1]] for i in range(count)]
    blobs[0] = zlib.compress(bytes(1 << 30), 9)  # ~1 MB on disk
    new_offsets = np.cumsum([0] + [len(b) for b in blobs]).astype("<u4")
    chunk.write_bytes(data[:8] + new_offsets.tobytes() + b"".join(blobs))
    return folder


def _image_bomb(tmp_path: Path) -> Path:
    """A 20000 x 20000 PNG background (a few hundred KB on disk)."""
    path = tmp_path / "huge.png"
    cv2.imwrite(str(path), np.zeros((20000, 20000), np.uint8), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return path


@pytest.mark.parametrize("bomb", ["coco", "labels", "chunk", "background"])
def test_size_bombs_end_fast_in_bounded_memory(clip: Clip, tmp_path: Path, bomb: str):
    if bomb == "coco":
        masks: Path | str = _coco(tmp_path / "bomb.json", width=40000, height=40000,
                                  size=[40000, 40000], counts=[1600000000])  # fmt: skip
        fragment = "more than the limit"
    elif bomb == "labels":
        masks = "labels:" + str(_label_bomb(tmp_path / "labels"))
        fragment = "objects, more than the limit of 256; if that is intended, raise it with"
    elif bomb == "chunk":
        masks = _chunk_bomb(tmp_path, clip)
        fragment = "damaged"
    else:
        masks = clip.masks_dir
        preset = tmp_path / "bg.yaml"
        preset.write_text(
            "name: bg\nmasks: {subject: {objects: all}}\nlayers:\n"
            "  - {effect: replace_background, region: ~subject, "
            f"params: {{source: {_image_bomb(tmp_path)}}}}}\n"
        )
        fragment = "than the limit of 64000000"
    args = ["render", str(clip.video), "-o", str(tmp_path / "out.mp4"), "--masks", str(masks),
            "--preset", str(preset) if bomb == "background" else "background-blur",
            "--quiet"]  # fmt: skip
    result, err = measured_vfx(args, tmp_path)
    assert result["code"] == 1, err
    assert fragment in err, err
    assert err.count("\n") == 1, err
    assert result["seconds"] < BOMB_SECONDS and result["peak_mb"] < BOMB_PEAK_MB, result
    assert not (tmp_path / "out.mp4").exists()
