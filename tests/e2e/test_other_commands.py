"""`vfx presets`, `vfx preview` and `vfx demo` through the CLI."""

from __future__ import annotations

from pathlib import Path

import cv2
from click.testing import CliRunner

from tests.e2e.conftest import HEIGHT, WIDTH, Clip, run_vfx
from vfx.cli import cli
from vfx.presets import list_presets


def test_presets_list_prints_one_preset_per_line_name_first():
    result = CliRunner().invoke(cli, ["presets", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    presets = list_presets()
    assert len(lines) == len(presets)
    for line, (name, description) in zip(lines, presets.items(), strict=True):
        assert line.split()[0] == name
        assert line.endswith(description)


def test_presets_show_prints_description_layers_and_parameters():
    result = CliRunner().invoke(cli, ["presets", "show", "portrait-bokeh"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("portrait-bokeh: ")
    assert "0. blur on region '~subject'" in out
    assert "1. recolor on region '~subject'" in out
    assert "* 0.radius = 31" in out
    assert "  1.hue = " in out  # a tunable parameter the preset leaves at its default
    assert "--set LAYER.PARAM=VALUE" in out


def test_presets_show_unknown_name(capsys):
    code, _, err = run_vfx(["presets", "show", "spotlite"], capsys)
    assert code == 1
    assert "did you mean 'spotlight'" in err


def sheet_shape(path: Path) -> tuple[int, int]:
    image = cv2.imread(str(path))
    assert image is not None
    return image.shape[:2]


def test_preview_without_prompts_shows_the_gridded_frame(clip: Clip, tmp_path: Path, capsys):
    out = tmp_path / "p.png"
    code, stdout, _ = run_vfx(["preview", str(clip.video), "--frame", "3", "-o", str(out)], capsys)
    assert code == 0
    assert "no masks given" in stdout
    height, width = sheet_shape(out)
    assert width == WIDTH
    assert height > HEIGHT


def test_preview_with_masks_and_preset_has_a_panel_per_object_and_the_result(
    clip: Clip, tmp_path: Path, capsys
):
    out = tmp_path / "p.png"
    args = ["preview", str(clip.video), "--frame", "5", "-o", str(out), "--masks",
            str(clip.masks_dir), "--preset", "highlight-overlay", "--point", "5:40,30"]  # fmt: skip
    # the clicks are drawn on the gridded frame; the masks come from --masks
    code, _, err = run_vfx(args, capsys)
    assert code == 0, err
    height, width = sheet_shape(out)
    # frame + 2 objects + result = 4 panels in 2 columns, 2 rows
    assert width == 2 * WIDTH
    assert height > 2 * HEIGHT


def test_preview_prompts_are_checked_and_no_checkpoint_is_a_note(clip: Clip, tmp_path, capsys):
    out = tmp_path / "p.png"
    code, _, err = run_vfx(
        ["preview", str(clip.video), "--frame", "0", "-o", str(out), "--point", "0:999,1"], capsys
    )
    assert code == 1
    assert "outside the 160x96 frame" in err
    assert not out.exists()
    code, stdout, _ = run_vfx(
        ["preview", str(clip.video), "--frame", "0", "-o", str(out), "--point", "0:50,40"], capsys
    )
    assert code == 0
    assert "masks not shown" in stdout
    assert "vfx checkpoints download" in stdout
    assert out.exists()


def test_preview_frame_out_of_range(clip: Clip, tmp_path, capsys):
    code, _, err = run_vfx(
        ["preview", str(clip.video), "--frame", "99", "-o", str(tmp_path / "p.png")], capsys
    )
    assert code == 1
    assert "use --frame 0 to 23" in err


def test_demo_renders_its_presets_offline(tmp_path: Path, capsys):
    from vfx.demo.run import DEMO_RENDERS

    out = tmp_path / "demo"
    code, stdout, err = run_vfx(["demo", "-o", str(out), "--quiet"], capsys)
    assert code == 0, err
    for _, name, _ in DEMO_RENDERS:
        assert (out / name).is_file()
        assert str(out / name) in stdout
    assert (out / "scene.mp4").is_file()
    code, _, err = run_vfx(["demo", "-o", str(out)], capsys)
    assert code == 1
    assert "--force" in err


def test_demo_with_sam2_but_no_checkpoint_says_how_to_get_one(tmp_path: Path, capsys):
    code, _, err = run_vfx(["demo", "-o", str(tmp_path / "d"), "--sam2"], capsys)
    assert code == 1
    assert "vfx checkpoints download sam2.1-tiny" in err
    assert not (tmp_path / "d").exists()


def test_demo_clicks_land_inside_each_object():
    from vfx.demo.run import object_clicks
    from vfx.demo.synthetic import scene_frames

    masks = next(scene_frames(160, 96, 4, 3, None)).masks
    clicks = object_clicks(masks)
    assert [obj.id for obj in clicks] == [1, 2, 3]
    for obj in clicks:
        x, y = obj.prompts[0].points[0]
        assert masks[obj.id - 1][int(y), int(x)]


def test_track_needs_prompts(clip: Clip, tmp_path: Path, capsys):
    code, _, err = run_vfx(["track", str(clip.video), "-o", str(tmp_path / "m")], capsys)
    assert code == 1
    assert "tracking needs prompts" in err
    assert not (tmp_path / "m").exists()


def test_track_without_checkpoint_says_how_to_get_one(clip: Clip, tmp_path: Path, capsys):
    args = ["track", str(clip.video), "-o", str(tmp_path / "m"), "--point", "0:40,40"]
    code, _, err = run_vfx(args, capsys)
    assert code == 1
    assert "vfx checkpoints download sam2.1-tiny" in err
    assert not (tmp_path / "m").exists()
