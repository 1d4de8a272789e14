"""The one video encoder: moviepy's ffmpeg pipe, told the pixel format the frames arrive in.

Renders (:func:`vfx.io.writer.write_video`) and lossless mask videos
(:func:`vfx.io.writer.lossless_writer`: FFV1, ``qp 0`` H.264) both encode through
:class:`RawPipeWriter`, so both get the exact rational frame rate, the same error
lines and the same exit-status check.

moviepy 2.2.1's ``FFMPEG_VideoWriter`` always declares its input as ``rgb24``
(``rgba`` with a mask) and ignores its ``pixel_format`` argument. For H.264
and VP9 that makes ffmpeg convert every frame to yuv420p itself, in one
thread: about 8 ms of CPU per 1080p frame, measured here, against 0.5 ms for
``cv2.cvtColor(..., COLOR_RGB2YUV_I420)`` (the same BT.601 limited-range
matrix as ffmpeg's default, chroma averaged over 2x2 blocks), which also
halves the bytes sent through the pipe. :class:`RawPipeWriter` builds
moviepy's command with the input format as a parameter, from moviepy's own
public helpers (its ffmpeg binary, Popen parameters and file-name escaping);
tests/vfx/io/test_moviepy_pipe.py fails if a moviepy release changes them, and
also once moviepy honours ``pixel_format`` and writes exact rates (then this
workaround can go).

Feeding ffmpeg through a pipe costs the encoder process system time that an
in-process encoder does not pay: glibc serves ffmpeg's frame-sized packet
buffers with a fresh ``mmap`` and returns them with ``munmap`` (every frame's
pages mapped, zero-filled and unmapped again), and a 64 KiB pipe wakes the
reader dozens of times per frame. The encoder runs with glibc's malloc
thresholds raised (:func:`encoder_environment`: buffers are reused) and a 1 MiB
pipe (:func:`widen_pipe`). Measured here, 150 1080p yuv420p frames written as
fast as x264 medium takes them: 0.52 s of encoder system time and 2.26 s wall
before, 0.26 s and 2.02 s after (on a machine just woken from idle, 2.63 s and
4.20 s before).

moviepy's ``close`` ignores ffmpeg's exit status, so a full disk or a failing
encoder used to pass as success. :class:`RawPipeWriter` waits for ffmpeg, and
turns a non-zero exit or a broken pipe into one :class:`VfxError` line built
from ffmpeg's last error line. The frame rate goes as the exact rational.

Imported lazily: loading moviepy takes about a third of a second.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
from moviepy.config import FFMPEG_BINARY
from moviepy.tools import cross_platform_popen_params, ffmpeg_escape_filename

from vfx.errors import VfxError
from vfx.io.atomic import no_space
from vfx.io.frame_rate import ffmpeg_rate

_NO_SPACE = ("No space left on device", "Disk quota exceeded", "File too large")
_ERROR_LINE_MAX = 200
MALLOC_SETTINGS = {
    "MALLOC_MMAP_THRESHOLD_": str(64 << 20),  # blocks under 64 MiB come from the heap ...
    "MALLOC_TRIM_THRESHOLD_": str(128 << 20),  # ... and up to 128 MiB freed stays for reuse
}
"""glibc malloc settings (``mallopt(3)``'s environment names) for the encoder process, see
the module docstring; other C libraries ignore them."""
PIPE_BYTES = 1 << 20
"""Capacity asked for the pipe to the encoder (Linux's default ceiling for unprivileged users)."""


def encoder_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with :data:`MALLOC_SETTINGS` added;
    a value the user set already wins."""
    return {**MALLOC_SETTINGS, **(os.environ if base is None else base)}


def widen_pipe(fd: int) -> None:
    """Ask for a :data:`PIPE_BYTES` pipe buffer on ``fd`` where the OS allows it (Linux);
    elsewhere, or over the system's limit, the pipe keeps its size."""
    try:
        import fcntl  # POSIX only
    except ImportError:
        return
    resize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if resize is None:
        return
    # Above /proc/sys/fs/pipe-max-size the call fails and the default pipe still works.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, resize, PIPE_BYTES)


class RawPipeWriter(AbstractContextManager["RawPipeWriter"]):
    """An ffmpeg process fed raw frames on stdin; use as a context manager.

    Args:
        path: the output file (or ``%05d.png`` pattern).
        size: ``(width, height)`` of the frames.
        fps: frame rate (passed to ``-r`` as the exact rational, see :mod:`vfx.io.frame_rate`).
        pix_fmt: the raw format on the pipe: ``yuv420p`` (``[H * 3 / 2, W]`` I420
            planes), ``rgb24`` (``[H, W, 3]``), ``rgba`` (``[H, W, 4]``) or ``gray``
            (``[H, W]``); :meth:`write_frame` converts RGB and RGBA frames to it.
        codec: ffmpeg video encoder.
        params: encoder options placed after the codec and preset.
        preset: x264 preset, or None for encoders without one.
        audio: an audio file to mux in, with ``audio_codec``.
        threads: ``-threads`` for the encoder (None: ffmpeg's choice).
        metadata: container tags (``-metadata KEY=VALUE``), e.g. a mask video's description.
        shown_as: the path error messages name (the final output, not its temporary).

    Attributes:
        frames: frames written so far.
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
        metadata: Mapping[str, str] | None = None,
        shown_as: Path | None = None,
    ) -> None:
        self.shown_as = str(path if shown_as is None else shown_as)
        self.filename = str(path)
        self.pix_fmt = pix_fmt
        command = [
            FFMPEG_BINARY, "-y", "-loglevel", "error",
            "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{size[0]}x{size[1]}",
            "-pix_fmt", pix_fmt, "-r", ffmpeg_rate(fps), "-an", "-i", "-",
        ]  # fmt: skip
        if audio is not None:
            command += ["-i", str(audio), "-acodec", audio_codec or "copy"]
        command += ["-vcodec", codec]
        if preset is not None:
            command += ["-preset", preset]
        command += params
        if threads is not None:
            command += ["-threads", str(threads)]
        for key, value in (metadata or {}).items():
            command += ["-metadata", f"{key}={value}"]
        command.append(ffmpeg_escape_filename(self.filename))
        popen = {
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.PIPE,
            "stdin": subprocess.PIPE,
            "env": encoder_environment(),
        }
        self.frames = 0
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            command, **cross_platform_popen_params(popen)
        )
        if self.proc.stdin is not None:
            widen_pipe(self.proc.stdin.fileno())

    def write_frame(self, img_array: np.ndarray) -> None:
        """Send one uint8 frame: ``[H, W, 3]`` RGB or ``[H, W, 4]`` RGBA (converted to
        ``pix_fmt`` by :func:`to_pipe_format`), or ``[H, W]`` for a ``gray`` pipe.
        :class:`VfxError` when ffmpeg has stopped (disk full, encoder error).

        The array's own buffer goes to the pipe (no ``tobytes()`` copy, unlike moviepy's
        writer); only a non-contiguous view is made contiguous first.
        """
        if self.proc is None or self.proc.stdin is None:
            raise VfxError(f"writing {self.shown_as}: the encoder is already closed")
        raw = np.ascontiguousarray(to_pipe_format(img_array, self.pix_fmt))
        try:
            self.proc.stdin.write(raw.data)  # the buffer itself, no copy
        except OSError:
            raise self._failure() from None
        self.frames += 1

    def close(self) -> None:
        """Finish the stream and wait for ffmpeg; :class:`VfxError` unless it exited cleanly."""
        if self.proc is None:
            return
        try:
            _, stderr = self.proc.communicate()
        except OSError:  # flushing the last frames hit a dead pipe
            stderr = self.proc.stderr.read() if self.proc.stderr else b""
            self.proc.wait()
        code, self.proc = self.proc.returncode, None
        if code != 0:
            raise _encoder_error(self.shown_as, code, stderr or b"")

    def _failure(self) -> VfxError:
        proc, self.proc = self.proc, None
        if proc is None:
            return VfxError(f"writing {self.shown_as}: the encoder is already closed")
        try:
            _, stderr = proc.communicate(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            stderr = b""
        return _encoder_error(self.shown_as, proc.wait(), stderr or b"")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif self.proc is not None:  # the frames failed: stop ffmpeg, keep the first error
            self.proc.kill()
            self.proc.communicate()
            self.proc = None


def to_pipe_format(frame: np.ndarray, pix_fmt: str) -> np.ndarray:
    """A ``[H, W, 3]`` RGB or ``[H, W, 4]`` RGBA uint8 frame in the pipe's ``pix_fmt``.

    ``yuv420p``: ``[H * 3 / 2, W]`` I420 planes (OpenCV, BT.601 limited range, chroma averaged
    over 2x2 blocks; even sizes only); ``rgba``: opaque alpha added to RGB; ``rgb24``: alpha
    dropped. A frame already in the pipe's layout (and any ``gray`` frame) passes unchanged.
    """
    rgba = frame.ndim == 3 and frame.shape[2] == 4
    if pix_fmt == "yuv420p" and frame.ndim == 3:
        code = cv2.COLOR_RGBA2YUV_I420 if rgba else cv2.COLOR_RGB2YUV_I420
        return cv2.cvtColor(frame, code)  # [H, W, 3|4] -> [H * 3 / 2, W]
    if pix_fmt == "rgba" and not rgba:
        return cv2.cvtColor(frame, cv2.COLOR_RGB2RGBA)  # opaque alpha
    if pix_fmt == "rgb24" and rgba:
        return frame[:, :, :3]
    return frame


def _encoder_error(path: str, code: int | None, stderr: bytes) -> VfxError:
    """One line for an ffmpeg that failed writing ``path``."""
    text = stderr.decode("utf-8", "replace")
    if any(marker in text for marker in _NO_SPACE):
        return no_space(path)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1][:_ERROR_LINE_MAX] if lines else f"exit status {code}"
    return VfxError(f"ffmpeg failed writing {path} ({last}); nothing was written")
