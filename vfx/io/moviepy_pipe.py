"""moviepy's ffmpeg pipe writer, told the pixel format the frames really arrive in.

moviepy 2.2.1's ``FFMPEG_VideoWriter`` always declares its input as ``rgb24``
(``rgba`` with a mask) and ignores its ``pixel_format`` argument. For H.264
and VP9 that makes ffmpeg convert every frame to yuv420p itself, in one
thread: about 8 ms of CPU per 1080p frame, measured here, against 0.5 ms for
``cv2.cvtColor(..., COLOR_RGB2YUV_I420)`` (the same BT.601 limited-range
matrix as ffmpeg's default, chroma averaged over 2x2 blocks), which also
halves the bytes sent through the pipe. :class:`RawPipeWriter` builds
moviepy's command with the input format as a parameter and keeps moviepy's
``write_frame`` (with its ffmpeg error reporting) and ``close``; it does not call moviepy's
``__init__`` (which would start an ffmpeg with the wrong input format) and sets the attributes
those methods read. tests/vfx/io/test_moviepy_pipe.py fails if a moviepy release changes them.

Imported lazily: loading moviepy takes about a third of a second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from moviepy.config import FFMPEG_BINARY
from moviepy.tools import cross_platform_popen_params, ffmpeg_escape_filename
from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter


class RawPipeWriter(FFMPEG_VideoWriter):
    """An ffmpeg process fed raw frames on stdin; use as a context manager.

    Args:
        path: the output file (or ``%05d.png`` pattern).
        size: ``(width, height)`` of the frames.
        fps: frame rate (passed as moviepy does, ``-r`` with two decimals).
        pix_fmt: the raw input format: ``yuv420p`` (``[H * 3 / 2, W]`` I420
            planes), ``rgb24`` (``[H, W, 3]``) or ``rgba`` (``[H, W, 4]``).
        codec: ffmpeg video encoder.
        params: encoder options placed after the codec and preset.
        preset: x264 preset, or None for encoders without one.
        audio: an audio file to mux in, with ``audio_codec``.
        threads: ``-threads`` for the encoder (None: ffmpeg's choice).
    """

    def __init__(
        self,
        path: Path,
        *,
        size: tuple[int, int],
        fps: float,
        pix_fmt: str,
        codec: str,
        params: list[str],
        preset: str | None,
        audio: Path | None = None,
        audio_codec: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.logfile = subprocess.PIPE
        self.filename = str(path)
        self.codec = codec
        self.audio_codec = audio_codec
        self.ext = self.filename.split(".")[-1]
        command = [
            FFMPEG_BINARY, "-y", "-loglevel", "error",
            "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{size[0]}x{size[1]}",
            "-pix_fmt", pix_fmt, "-r", f"{fps:.02f}", "-an", "-i", "-",
        ]  # fmt: skip
        if audio is not None:
            command += ["-i", str(audio), "-acodec", audio_codec or "copy"]
        command += ["-vcodec", codec]
        if preset is not None:
            command += ["-preset", preset]
        command += params
        if threads is not None:
            command += ["-threads", str(threads)]
        command.append(ffmpeg_escape_filename(self.filename))
        popen = {"stdout": subprocess.DEVNULL, "stderr": self.logfile, "stdin": subprocess.PIPE}
        self.proc = subprocess.Popen(command, **cross_platform_popen_params(popen))
