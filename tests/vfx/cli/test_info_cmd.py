"""``vfx info``: the metadata table, --json, and one-line errors for bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vfx.cli import cli, main


def _info_table(path: Path) -> dict[str, str]:
    """``vfx info PATH`` (exit code 0) as ``{field: value}``."""
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 0, result.output
    return dict(line.split(maxsplit=1) for line in result.output.splitlines())


def test_info_table(scene_clip: tuple[Path, np.ndarray]) -> None:
    path, _ = scene_clip
    lines = _info_table(path)
    assert lines["size"] == "320x240"
    assert lines["fps"] == "24"
    assert lines["frames"] == "24"
    assert lines["duration"] == "1.000 s"
    assert lines["codec"] == "h264 (yuv444p)"
    assert lines["alpha"] == "no"
    assert lines["audio"] == "aac, 2 channels (stereo), 48000 Hz"
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
        "has_alpha": False,
        "audio": {"codec": "aac", "channels": 2, "layout": "stereo", "sample_rate": 48000},
    }


def test_info_reports_the_alpha_of_vp9_with_alpha(tmp_path: Path) -> None:
    """VP9 keeps alpha as side data (tag alpha_mode=1); the decoder alone says yuv420p."""
    from vfx.io.writer import write_video

    path = tmp_path / "cut.webm"
    frames = [np.full((32, 48, 4), 200, np.uint8) for _ in range(4)]
    write_video(path, iter(frames), fps=8, size=(48, 32), frame_count=4, alpha=True,
                progress=False)
    lines = _info_table(path)
    assert lines["codec"] == "vp9 (yuva420p)"
    assert lines["alpha"] == "yes"
    assert lines["audio"] == "no"
    meta = json.loads(CliRunner().invoke(cli, ["info", str(path), "--json"]).output)
    assert (meta["pix_fmt"], meta["has_alpha"], meta["audio"]) == ("yuva420p", True, None)


def test_info_audio_of_a_mono_pcm_track(tmp_path: Path) -> None:
    import av

    path = tmp_path / "mono.mov"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=8)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        audio = container.add_stream("pcm_s16le", rate=22050)
        audio.layout = "mono"
        for _ in range(4):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode())
        samples = av.AudioFrame.from_ndarray(np.zeros((1, 4800), np.int16), format="s16",
                                             layout="mono")
        samples.sample_rate = 22050
        container.mux(audio.encode(samples))
        container.mux(audio.encode())
    assert _info_table(path)["audio"] == "pcm_s16le, 1 channel (mono), 22050 Hz"


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
