"""The moviepy pieces vfx.io.moviepy_pipe builds its ffmpeg command from: pin them.

moviepy 2.x ignores ``pixel_format`` for the frames it pipes (it always declares
``rgb24``), so RawPipeWriter starts ffmpeg itself, with moviepy's own ffmpeg binary,
Popen parameters and file-name escaping. These tests fail as soon as a moviepy release
renames or changes one of them; then revisit the workaround (or drop it, if moviepy
honours the format).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from moviepy.config import FFMPEG_BINARY
from moviepy.tools import cross_platform_popen_params, ffmpeg_escape_filename


def test_moviepy_ffmpeg_binary_runs() -> None:
    assert os.access(FFMPEG_BINARY, os.X_OK)
    run = subprocess.run([FFMPEG_BINARY, "-version"], capture_output=True, check=True)
    assert run.stdout.startswith(b"ffmpeg version")


def test_popen_params_keep_ours() -> None:
    ours = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "stdin": subprocess.PIPE}
    params = cross_platform_popen_params(dict(ours))
    assert {key: params[key] for key in ours} == ours


def test_file_names_are_escaped_only_where_ffmpeg_needs_it() -> None:
    assert ffmpeg_escape_filename("out/clip.mp4") == "out/clip.mp4"
    assert ffmpeg_escape_filename("-clip.mp4") != "-clip.mp4"  # not read as an option


def test_moviepy_still_needs_the_workaround(monkeypatch) -> None:
    """moviepy 2.2.1's own writer declares rgb24 whatever ``pixel_format`` says and rounds the
    rate to ``%.02f``: when this fails, moviepy got fixed; use its FFMPEG_VideoWriter instead."""
    from moviepy.video.io import ffmpeg_writer

    commands: list[list[str]] = []

    def record(command: list[str], **_: object) -> None:
        commands.append(command)

    monkeypatch.setattr(ffmpeg_writer.sp, "Popen", record)
    ffmpeg_writer.FFMPEG_VideoWriter(
        "out.mp4", (64, 48), 30000 / 1001, pixel_format="yuv420p", ffmpeg_params=[]
    )
    (command,) = commands
    input_options = command[: command.index("-i")]
    assert input_options[input_options.index("-pix_fmt") + 1] == "rgb24"
    assert input_options[input_options.index("-r") + 1] == "29.97"


def test_encoder_environment_adds_malloc_settings_and_keeps_the_users() -> None:
    from vfx.io.moviepy_pipe import MALLOC_SETTINGS, encoder_environment

    assert encoder_environment({"PATH": "/bin"}) == {"PATH": "/bin", **MALLOC_SETTINGS}
    theirs = encoder_environment({"MALLOC_MMAP_THRESHOLD_": "4096"})
    assert theirs["MALLOC_MMAP_THRESHOLD_"] == "4096"
    assert theirs["MALLOC_TRIM_THRESHOLD_"] == MALLOC_SETTINGS["MALLOC_TRIM_THRESHOLD_"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and F_GETPIPE_SZ: Linux")
def test_encoder_runs_with_malloc_settings_and_a_wide_pipe(tmp_path) -> None:
    """The running ffmpeg has the malloc settings and reads a 1 MiB pipe; the output is whole."""
    import fcntl

    import av
    import numpy as np

    from vfx.io.moviepy_pipe import MALLOC_SETTINGS, PIPE_BYTES, RawPipeWriter

    out = tmp_path / "clip.mp4"
    with RawPipeWriter(
        out, size=(64, 48), fps=24, pix_fmt="yuv420p", codec="libx264", params=[], preset="fast"
    ) as writer:
        assert writer.proc is not None and writer.proc.stdin is not None
        environ = (Path("/proc") / str(writer.proc.pid) / "environ").read_bytes().split(b"\0")
        for name, value in MALLOC_SETTINGS.items():
            assert f"{name}={os.environ.get(name, value)}".encode() in environ
        with Path("/proc/sys/fs/pipe-max-size").open() as limit:
            expected = min(PIPE_BYTES, int(limit.read()))
        assert fcntl.fcntl(writer.proc.stdin.fileno(), fcntl.F_GETPIPE_SZ) >= expected
        for level in range(6):
            writer.write_frame(np.full((48, 64, 3), 40 * level, np.uint8))
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 6
