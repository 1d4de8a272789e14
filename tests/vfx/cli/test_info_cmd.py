"""``vfx info``: the metadata table, --json, and one-line errors for bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vfx.cli import cli, main


def test_info_table(scene_clip: tuple[Path, np.ndarray]) -> None:
    path, _ = scene_clip
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(maxsplit=1) for line in result.output.splitlines())
    assert lines["size"] == "320x240"
    assert lines["fps"] == "24"
    assert lines["frames"] == "24"
    assert lines["duration"] == "1.000 s"
    assert lines["codec"] == "h264 (yuv444p)"
    assert lines["audio"] == "yes"
    assert lines["rotation"] == "0 degrees"


def test_info_json(scene_clip: tuple[Path, np.ndarray]) -> None:
    path, _ = scene_clip
    result = CliRunner().invoke(cli, ["info", str(path), "--json"])
    assert result.exit_code == 0, result.output
    meta = json.loads(result.output)
    assert meta == {
        "width": 320,
        "height": 240,
        "fps": 24.0,
        "frame_count": 24,
        "duration": pytest.approx(1.0),
        "rotation": 0,
        "codec": "h264",
        "pix_fmt": "yuv444p",
        "has_audio": True,
        "path": str(path),
    }


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "does not exist; check the path"),
        (b"", "is not a video PyAV can read: the file is empty"),
        (b"just some text\n" * 30, "is not a video PyAV can read: invalid data"),
    ],
    ids=["missing", "empty", "corrupt"],
)
def test_info_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as exited:
        main(["info", str(path)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("vfx: error: ") and message in err
    assert err.count("\n") == 1
