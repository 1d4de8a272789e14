"""Every bad input of issue 7: one clear line, exit 1, no traceback, input untouched, no output."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from tests.e2e.conftest import Clip, file_digest, render_args, run_vfx


def _check_refused(
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragments: list[str],
    inputs: list[Path],
    out_dir: Path,
) -> str:
    """Run ``vfx args``; check the error line, the exit code, the inputs and the output folder."""
    before = {p: file_digest(p) for p in inputs if p.is_file()}
    listing = sorted(out_dir.iterdir()) if out_dir.exists() else []
    code, out, err = run_vfx(args, capsys)
    assert code == 1
    assert out == ""
    assert err.startswith("vfx: error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert {p: file_digest(p) for p in before} == before
    assert (sorted(out_dir.iterdir()) if out_dir.exists() else []) == listing
    return err


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _render(video: Path, out: Path, *extra: str) -> list[str]:
    return ["render", str(video), "-o", str(out), "--preset", "background-blur", *extra]


def test_missing_input(capsys, tmp_path, out_dir):
    _check_refused(
        capsys,
        _render(tmp_path / "nope.mp4", out_dir / "o.mp4", "--chroma", "green"),
        ["nope.mp4"],
        [],
        out_dir,
    )


@pytest.mark.parametrize(
    ("content", "label"),
    [(b"", "empty"), (os.urandom(4096), "random"), (b"hello, this is not a video\n" * 20, "text")],
)
def test_files_that_are_not_videos(capsys, tmp_path, out_dir, content, label):
    fake = tmp_path / f"{label}.mp4"
    fake.write_bytes(content)
    _check_refused(
        capsys, _render(fake, out_dir / "o.mp4", "--chroma", "green"), [fake.name], [fake], out_dir
    )


def test_unknown_preset(capsys, clip: Clip, out_dir):
    args = render_args(clip, out_dir / "o.mp4", preset="bakground-blur")
    _check_refused(
        capsys, args, ["unknown preset 'bakground-blur'", "vfx presets list"], [clip.video], out_dir
    )


def test_preset_with_yaml_syntax_error(capsys, clip: Clip, tmp_path, out_dir):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nlayers:\n  - effect: blur\n     region: ~subject\n")
    args = render_args(clip, out_dir / "o.mp4", preset=str(bad))
    _check_refused(
        capsys, args, ["bad.yaml", "YAML syntax error at line 4"], [clip.video, bad], out_dir
    )


def test_preset_with_unknown_effect_and_parameter_lists_all(capsys, clip: Clip, tmp_path, out_dir):
    bad = tmp_path / "typos.yaml"
    bad.write_text(
        "name: typos\nmasks: {subject: {objects: all}}\nlayers:\n"
        "  - {effect: blurr, region: ~subject}\n"
        "  - {effect: blur, region: ~subject, params: {radius: 5, strength: 2}}\n"
    )
    args = render_args(clip, out_dir / "o.mp4", preset=str(bad))
    _check_refused(
        capsys,
        args,
        ["typos.yaml has 2 problems", "layer 0 (blurr)", "unknown effect 'blurr'",
         "layer 1 (blur)", "'strength'", "allowed: radius"],
        [clip.video, bad],
        out_dir,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("point", "fragments"),
    [
        ("0:500,20", ["point (500, 20)", "outside the 160x96 frame", "x from 0 to 159"]),
        ("99:10,10", ["beyond the last frame (23)", "from 0 to 23"]),
        ("0:40,40", ["not found", "vfx checkpoints download sam2.1-tiny"]),  # no checkpoint
    ],
    ids=["outside-the-frame", "beyond-the-last-frame", "no-checkpoint"],
)
def test_point_prompts_that_cannot_be_tracked(capsys, clip: Clip, out_dir, point, fragments):
    args = _render(clip.video, out_dir / "o.mp4", "--point", point)
    _check_refused(capsys, args, fragments, [clip.video], out_dir)


def test_output_equal_to_input(capsys, tmp_path):
    video = tmp_path / "same.mp4"
    from vfx.demo.synthetic import write_scene_video

    write_scene_video(video, 64, 48, 4, 24)
    _check_refused(
        capsys,
        _render(video, video, "--chroma", "green", "--force"),
        ["same", "choose another output path"],
        [video],
        tmp_path,
    )


def test_existing_output_without_force(capsys, clip: Clip, out_dir):
    existing = out_dir / "o.mp4"
    existing.write_bytes(b"keep me")
    _check_refused(
        capsys,
        _render(clip.video, existing, "--masks", str(clip.masks_dir)),
        ["already exists", "--force"],
        [clip.video, existing],
        out_dir,
    )


class _RunsCode:
    """A pickle payload that would create a file when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_checkpoint_whose_pickle_would_run_code_is_refused(capsys, clip: Clip, tmp_path, out_dir):
    marker = tmp_path / "pwned"
    evil = tmp_path / "sam2.1_hiera_tiny.pt"
    evil.write_bytes(pickle.dumps({"model": _RunsCode(marker)}))
    _check_refused(
        capsys,
        _render(clip.video, out_dir / "o.mp4", "--point", "0:40,40", "--checkpoint", str(evil)),
        [evil.name],
        [clip.video, evil],
        out_dir,
    )
    assert not marker.exists()


def test_checkpoint_of_the_wrong_model_size(capsys, clip: Clip, tmp_path, out_dir):
    from sam2.testing import write_random_checkpoint

    tiny = write_random_checkpoint(tmp_path / "weights.pt", "sam2.1_hiera_tiny")
    args = _render(clip.video, out_dir / "o.mp4", "--point", "0:40,40", "--model", "sam2.1-small",
                   "--checkpoint", str(tiny))  # fmt: skip
    _check_refused(
        capsys, args, ["sam2.1_hiera_tiny", "sam2.1_hiera_small"], [clip.video, tiny], out_dir
    )


def test_two_mask_sources_are_refused_before_anything_runs(capsys, clip: Clip, out_dir):
    _check_refused(
        capsys,
        _render(clip.video, out_dir / "o.mp4", "--chroma", "green", "--masks", str(clip.masks_dir)),
        ["different mask sources"],
        [clip.video],
        out_dir,
    )


def test_masks_of_another_length_are_refused(capsys, clip: Clip, tmp_path, out_dir):
    from vfx.demo.synthetic import write_scene_video

    short = tmp_path / "short.mp4"
    write_scene_video(short, 160, 96, 5, 24)
    _check_refused(
        capsys,
        _render(short, out_dir / "o.mp4", "--masks", str(clip.masks_dir)),
        ["24 frames", "the video has 5"],
        [short],
        out_dir,
    )
