"""`vfx masks export` through the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vfx.cli import cli, main
from vfx.demo.synthetic import write_scene_video
from vfx.masks import MaskletStore, video_content_hash
from vfx.sources import load_masks


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    video = tmp_path / "clip.mp4"
    truth = write_scene_video(video, width=32, height=32, frames=5, fps=24, audio=False)
    meta = {
        "width": 32,
        "height": 32,
        "fps": 24.0,
        "frame_count": 5,
        "objects": [{"id": 1, "name": "disc"}, {"id": 2, "name": "box"}],
        "video": {"path": str(video), "hash": video_content_hash(video)},
    }
    with MaskletStore.create(tmp_path / "store", meta) as writer:
        for t in range(5):
            writer.write_frame(
                t, {1: truth[t, 0].astype(np.float32), 2: truth[t, 1].astype(np.float32)}
            )
    return tmp_path / "store"


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_export_png_from_store(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "masks"
    result = CliRunner().invoke(
        cli, ["masks", "export", str(store_dir), "-o", str(out), "--format", "png"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote 5 frames of 1 disc, 2 box as png to {out}" in result.output
    back = load_masks(out)
    store = MaskletStore.open(store_dir)
    np.testing.assert_array_equal(back.masks_at(4)[2], store.masks_at(4)[2])


def test_export_vace_with_objects_and_conform(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "vace"
    args = ["masks", "export", str(store_dir), "-o", str(out), "--format", "vace", "--objects", "2"]
    result = CliRunner().invoke(cli, [*args, "--dilate", "2", "--frames", "trim"])
    assert result.exit_code == 0, result.output
    assert "wrote 5 frames of 2 box as vace" in result.output
    assert (out / "src_mask.mp4").is_file() and (out / "src_video.mp4").is_file()


def test_reexport_imported_masks_and_chroma(store_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    first = tmp_path / "m.npz"
    assert (
        runner.invoke(
            cli, ["masks", "export", str(store_dir), "-o", str(first), "--format", "npz"]
        ).exit_code
        == 0
    )
    again = tmp_path / "m.json"
    args = ["masks", "export", "--masks", str(first), "-o", str(again), "--format", "coco-rle"]
    assert runner.invoke(cli, args).exit_code == 0
    assert load_masks(again).names == {1: "disc", 2: "box"}
    keyed = tmp_path / "k.mkv"
    args = [
        "masks",
        "export",
        "--chroma",
        "green",
        "--video",
        str(tmp_path / "clip.mp4"),
        "-o",
        str(keyed),
    ]
    result = runner.invoke(cli, [*args, "--format", "ffv1"])
    assert result.exit_code == 0, result.output
    assert load_masks(keyed).frame_count == 5


def test_error_one_liners(
    store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["masks", "export", str(store_dir), "-o", str(tmp_path / "o")]
    err = _error_line(capsys, [*base, "--format", "gif"])
    assert err.startswith("vfx: error: unknown mask format 'gif'; use one of png, ffv1")
    err = _error_line(
        capsys, ["masks", "export", str(tmp_path / "nope"), "-o", "x", "--format", "png"]
    )
    assert err.startswith("vfx: error: masklet store") and "does not exist" in err
    err = _error_line(
        capsys, ["masks", "export", "--masks", str(tmp_path / "nope"), "-o", "x", "--format", "png"]
    )
    assert "masks" in err and "do not exist" in err
    err = _error_line(capsys, ["masks", "export", "-o", "x", "--format", "png"])
    assert "give exactly one of MASKLETS_DIR, --masks PATH or --chroma COLOR" in err
    (tmp_path / "o").mkdir()
    err = _error_line(capsys, [*base, "--format", "png"])
    assert (
        err == f"vfx: error: output {tmp_path / 'o'} already exists; pass --force to overwrite it"
    )
    err = _error_line(capsys, [*base, "--format", "png", "--objects", "1,x"])
    assert "--objects takes object ids like 1,2" in err
    main([*base, "--format", "png", "--force"])  # succeeds without exiting
    assert (tmp_path / "o" / "2" / "00004.png").is_file()


def test_python_api_matches_the_command(store_dir: Path, tmp_path: Path) -> None:
    """`vfx.export_masks` is what the command runs: same files from a path or a source."""
    import vfx

    main(["masks", "export", str(store_dir), "-o", str(tmp_path / "cli.npz"), "--format", "npz",
          "--objects", "2"])  # fmt: skip
    result = vfx.export_masks(store_dir, tmp_path / "api.npz", "npz", objects=[2])
    assert result.objects == {2: "box"} and result.frame_count == 5
    from_source = vfx.export_masks(
        MaskletStore.open(store_dir), tmp_path / "src.npz", "npz", objects=[2]
    )
    cli_masks, api_masks = load_masks(tmp_path / "cli.npz"), load_masks(result.path)
    src_masks = load_masks(from_source.path)
    for t in range(5):
        np.testing.assert_array_equal(cli_masks.masks_at(t)[2], api_masks.masks_at(t)[2])
        np.testing.assert_array_equal(src_masks.masks_at(t)[2], api_masks.masks_at(t)[2])
    with pytest.raises(vfx.VfxError, match="unknown mask format"):
        vfx.export_masks(store_dir, tmp_path / "x", "gif")
