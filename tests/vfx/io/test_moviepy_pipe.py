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
