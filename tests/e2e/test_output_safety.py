"""Issue 14, data loss: --force replaces only a previous vfx output, a full disk is an error,
signals and killed runs leave nothing, and the output path is checked before any work."""

from __future__ import annotations

import os
import shutil
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.e2e.conftest import Clip, export_args, render_args, run_vfx
from tests.e2e.small_disk import read_only_folder, small_disk
from tests.vfx.io.clip_makers import write_clip
from vfx.io.output_policy import OUTPUT_MARKER, STALE_PARTIAL_SECONDS


def _user_folder(path: Path, *extra: Path) -> dict[str, bytes]:
    """A folder of the user's files (and any ``extra`` copied in); returns its contents."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "notes.txt").write_text("my notes")
    (path / "take1.png").write_bytes(b"not really a png")
    for src in extra:
        shutil.copy(src, path / src.name)
    return _contents(path)


def _contents(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def _refused(capsys, args: list[str], *fragments: str) -> str:
    code, out, err = run_vfx(args, capsys)
    assert code == 1, (out, err)
    assert err.startswith("vfx: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_render_force_onto_a_user_folder_named_like_a_file(clip: Clip, tmp_path: Path, capsys):
    some = tmp_path / "some.mov"
    before = _user_folder(some, clip.video)
    _refused(capsys, render_args(clip, some, "--force"), "is a folder", "previous file output")
    assert _contents(some) == before


def test_render_force_onto_a_folder_holding_the_input(clip: Clip, tmp_path: Path, capsys):
    shutil.copytree(clip.masks_dir, tmp_path / "shot" / "masks")
    shutil.copy(clip.video, tmp_path / "shot" / "scene.mp4")
    before = _contents(tmp_path / "shot")
    args = [
        "render",
        str(tmp_path / "shot" / "scene.mp4"),
        "-o",
        str(tmp_path / "shot"),
        "--preset",
        "cutout-alpha",
        "--masks",
        str(tmp_path / "shot" / "masks"),
        "--force",
    ]
    _refused(capsys, args, "contains the input")
    assert _contents(tmp_path / "shot") == before


def test_masks_export_force_onto_the_folder_holding_the_masks(clip: Clip, tmp_path: Path, capsys):
    folder = tmp_path / "work"
    shutil.copytree(clip.masks_dir, folder / "masks")
    before = _user_folder(folder)
    _refused(capsys, export_args(folder / "masks", folder, "--force"), "contains the input")
    assert _contents(folder) == before
    # an export folder the user put their own files into is theirs now
    export = tmp_path / "export"
    assert run_vfx(export_args(clip.masks_dir, export), capsys)[0] == 0
    (export / "keep.txt").write_text("mine")
    args = export_args(clip.masks_dir, export, "--force")
    _refused(capsys, args, "holds other files (keep.txt)")
    assert (export / "keep.txt").read_text() == "mine"


def test_track_force_onto_a_user_folder(clip: Clip, tmp_path: Path, capsys):
    folder = tmp_path / "masklets"
    before = _user_folder(folder)
    args = ["track", str(clip.video), "-o", str(folder), "--point", "0:40,40", "--force"]
    _refused(capsys, args, "holds other files")
    assert _contents(folder) == before


def test_demo_force_onto_a_user_folder(tmp_path: Path, capsys):
    folder = tmp_path / "projects"
    before = _user_folder(folder)
    _refused(
        capsys, ["demo", "-o", str(folder), "--force", "--no-sam2", "--quiet"], "holds other files"
    )
    assert _contents(folder) == before


def test_force_replaces_a_previous_png_sequence(clip: Clip, tmp_path: Path, capsys):
    out = tmp_path / "seq"
    assert run_vfx(render_args(clip, out), capsys)[0] == 0
    assert (out / OUTPUT_MARKER).is_file()
    assert run_vfx(render_args(clip, out, "--force"), capsys)[0] == 0
    assert len(list(out.glob("*.png"))) == 24


def test_png_sequence_outputs_follow_one_rule(clip: Clip, tmp_path: Path, capsys):
    """Issue 21: the folder the user names is created; only a folder of other files is refused."""
    assert run_vfx(render_args(clip, tmp_path / "seq" / "cut_%05d.png"), capsys)[0] == 0
    assert (tmp_path / "seq" / "cut_00023.png").is_file()
    assert run_vfx(render_args(clip, "seq2/"), capsys)[0] == 0
    assert len(list((tmp_path / "seq2").glob("*.png"))) == 24
    (tmp_path / "notes.txt").write_text("mine")  # the current folder holds the user's files
    _refused(
        capsys, render_args(clip, "cut_%05d.png"), "holds other files", "-o seq/cut_%05d.png"
    )


def test_unwritable_or_odd_output_folders_are_found_before_rendering(
    clip: Clip, tmp_path: Path, capsys
):
    (tmp_path / "afile").write_text("x")
    _refused(capsys, render_args(clip, tmp_path / "afile" / "out.mp4"), "is not a folder")
    (tmp_path / "existing").write_text("x")  # a file where a PNG-folder output goes
    _refused(
        capsys,
        render_args(clip, tmp_path / "existing", "--force"),
        "is a file",
        "previous folder output",
    )
    with read_only_folder(tmp_path / "ro") as ro:
        started = time.perf_counter()
        _refused(capsys, render_args(clip, ro / "out.mp4"), "cannot write in", "Read-only")
        assert time.perf_counter() - started < 5  # refused up front, not after the render


@pytest.mark.parametrize("name", ["out.mp4", "out.webm", "out.mov", "frames"])
def test_full_disk_is_an_error_and_leaves_nothing(clip: Clip, tmp_path: Path, capsys, name):
    with small_disk(tmp_path / "disk", "12k") as disk:
        _refused(capsys, render_args(clip, disk / name), "no space left on the device")
        assert list(disk.iterdir()) == []


@pytest.mark.parametrize("fmt,name", [("png", "masks"), ("npz", "masks.npz"), ("ffv1", "videos")])
def test_full_disk_masks_export_leaves_nothing(clip: Clip, tmp_path: Path, capsys, fmt, name):
    with small_disk(tmp_path / "disk", "8k") as disk:
        args = [
            "masks",
            "export",
            "--masks",
            str(clip.masks_dir),
            "-o",
            str(disk / name),
            "--format",
            fmt,
            "--video",
            str(clip.video),
        ]
        _refused(capsys, args, "no space left on the device")
        assert list(disk.iterdir()) == []


def test_killed_runs_leftovers_beside_the_output_are_cleaned(clip: Clip, tmp_path: Path, capsys):
    old = time.time() - STALE_PARTIAL_SECONDS - 60
    stale_file = tmp_path / ".out.mp4.partial-abc123.mp4"
    stale_audio = tmp_path / ".vfx-audio-xyz"
    fresh = tmp_path / ".out.mp4.partial-live.mp4"
    stale_file.write_bytes(b"half")
    stale_audio.mkdir()
    (stale_audio / "audio.mp4").write_bytes(b"aac")
    fresh.write_bytes(b"another run, still going")
    for path in (stale_file, stale_audio):
        os.utime(path, (old, old))
    assert run_vfx(render_args(clip, tmp_path / "out.mp4"), capsys)[0] == 0
    assert not stale_file.exists() and not stale_audio.exists()
    assert fresh.exists()


@pytest.mark.parametrize("rate", [Fraction(24000, 1001), Fraction(1, 3)])
def test_exact_rational_rate_and_duration_with_audio(tmp_path: Path, capsys, rate: Fraction):
    frames = 12 if rate < 1 else 48
    video = write_clip(tmp_path / "ntsc.mp4", 64, 48, frames, rate, audio_codec="aac")
    masks = tmp_path / "masks"
    masks.mkdir()
    for i in range(frames):
        import cv2

        cv2.imwrite(str(masks / f"{i:05d}.png"), np.full((48, 64), 255 * (i % 2), np.uint8))
    out = tmp_path / "out.mp4"
    args = [
        "render",
        str(video),
        "-o",
        str(out),
        "--preset",
        "background-blur",
        "--masks",
        str(masks),
        "--quiet",
    ]
    assert run_vfx(args, capsys)[0] == 0
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == rate
        assert stream.frames == frames
        seconds = float(stream.duration * stream.time_base)
        assert seconds == pytest.approx(frames / rate, abs=1e-3)
        audio = container.streams.audio[0]
        audio_seconds = float(audio.duration * audio.time_base)
        assert audio_seconds == pytest.approx(float(frames / rate), abs=0.05)
