"""Write a stream of frames to a video file or PNG sequence through moviepy's ffmpeg writer.

Frames are pulled lazily from the caller's iterator by ONE ``VideoClip`` whose
frame function serves them in order, so the video is never held in memory.
moviepy asks for frames by time ``t = i / fps``; the frame function maps that
back to ``i`` and keeps only the last frame for a repeated request. The clip's
duration is set half a frame past the last frame so that moviepy's
``int(duration * fps)`` frame count is exactly ``frame_count``.

Frames go to ffmpeg in yuv420p (converted with OpenCV by the pipe writer, see
:mod:`vfx.io.moviepy_pipe` for why) for the 4:2:0 outputs, RGBA when alpha is
kept, RGB otherwise.

The output format follows the extension (see :func:`output_format`):

======================  ==============================================  =======================
output                  video                                           audio
======================  ==============================================  =======================
``.mp4``                H.264 yuv420p (CRF, x264 preset)                source copied, else AAC
``.mov``                ProRes 4444 + straight alpha, else 422 HQ       source copied, else AAC
``.webm``               VP9 (CRF), yuva420p when alpha                  Opus (copied if Opus)
folder / ``%05d.png``   PNG per frame, RGBA when alpha, numbered from 0  none
======================  ==============================================  =======================

H.264 in 4:2:0 cannot code odd widths or heights, so an odd-sized ``.mp4`` is
padded by one pixel on the right and/or bottom (the edge pixels repeated); the
other formats keep the exact size. The frame rate goes to ffmpeg as the exact
rational (:mod:`vfx.io.frame_rate`), so 30000/1001 stays 30000/1001.

A PNG sequence is a folder output: ``-o seq/``, ``-o seq`` and
``-o seq/cut_%05d.png`` all write into the folder ``seq``, which is created
(its parent must exist); an existing folder is used only when it is empty or a
previous vfx output (with ``--force``), never one that holds other files.

Nothing is renamed into place until ffmpeg has exited cleanly and the output
holds all ``frame_count`` frames; a full disk is one error line and leaves nothing.

:func:`lossless_writer` opens the same encoder for lossless videos written a frame at a
time (mask videos: FFV1 gray, bit-exact; ``qp 0`` H.264 for tools that read ``.mp4``).
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from tqdm import tqdm

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.audio import extract_audio
from vfx.io.output_policy import foreign_entry

if TYPE_CHECKING:
    from vfx.io.moviepy_pipe import RawPipeWriter

_PATTERN = re.compile(r"%0?\d*d")
_VIDEO_SUFFIXES = (".mp4", ".mov", ".webm")
_ALPHA_KINDS = ("mov", "webm", "png")
# x264 presets, and the libvpx-vp9 -cpu-used speed each one maps to
_VP9_SPEED = {
    "ultrafast": 5,
    "superfast": 5,
    "veryfast": 5,
    "faster": 5,
    "fast": 4,
    "medium": 4,
    "slow": 2,
    "slower": 1,
    "veryslow": 0,
}
X264_PRESETS = tuple(_VP9_SPEED)
"""The x264 speed/size presets, fastest first (VP9 outputs map each to a ``-cpu-used`` speed)."""
LOSSLESS_H264_PIX_FMT = "yuv420p"
"""What :func:`lossless_writer`'s H.264 stores: browsers, QuickTime, decord and Wan's own
tools read yuv420p H.264; RGB H.264 (libx264rgb, gbrp) is opened by few of them."""


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_video` produced.

    Attributes:
        path: the output file or folder.
        frames: number of frames written.
        seconds: wall time of the write, encoding and audio included.
        fps_achieved: ``frames / seconds``.
    """

    path: Path
    frames: int
    seconds: float
    fps_achieved: float


def output_format(path: str | Path) -> str:
    """``"mp4"``, ``"mov"``, ``"webm"`` or ``"png"`` for an output path.

    A folder path (no extension, or a trailing slash) and a ``name_%05d.png``
    pattern mean a PNG sequence. Anything else raises :class:`VfxError`.
    """
    text = str(path)
    suffix = Path(text).suffix.lower()
    if text.endswith(("/", "\\")) or suffix == "":
        return "png"
    if suffix == ".png" and _PATTERN.search(Path(text).name):
        return "png"
    if suffix in _VIDEO_SUFFIXES:
        return suffix[1:]
    raise VfxError(
        f"cannot tell the output format of {text}; "
        "use .mp4, .mov, .webm, a folder, or a %05d.png pattern"
    )


def output_supports_alpha(path: str | Path) -> bool:
    """Whether the output chosen by ``path``'s extension can store an alpha channel."""
    return output_format(path) in _ALPHA_KINDS


def _codec_args(kind: str, alpha: bool, crf: int, preset: str) -> tuple[str, list[str]]:
    """ffmpeg video codec and output options for a format."""
    if kind == "mp4":
        return "libx264", ["-crf", str(crf), "-pix_fmt", "yuv420p"]
    if kind == "mov":
        if alpha:
            return "prores_ks", ["-profile:v", "4444", "-pix_fmt", "yuva444p10le"]
        return "prores_ks", ["-profile:v", "3", "-pix_fmt", "yuv422p10le"]
    if kind == "webm":
        pix_fmt = "yuva420p" if alpha else "yuv420p"
        speed = str(_VP9_SPEED[preset])
        return "libvpx-vp9", [
            *("-crf", str(crf), "-b:v", "0", "-pix_fmt", pix_fmt),
            *("-row-mt", "1", "-cpu-used", speed),
        ]
    # compression level 1 writes 40% faster than the default for files about 7% larger
    pix_fmt = "rgba" if alpha else "rgb24"
    return "png", ["-start_number", "0", "-pix_fmt", pix_fmt, "-compression_level", "1"]


def _pipe_format(kind: str, alpha: bool, size: tuple[int, int]) -> str:
    """The raw pixel format frames go to ffmpeg in (see the module docstring).

    OpenCV's I420 conversion needs an even ``size`` (an odd WebM goes as RGB).
    """
    if alpha:
        return "rgba"
    even = size[0] % 2 == 0 and size[1] % 2 == 0
    return "yuv420p" if kind in ("mp4", "webm") and even else "rgb24"


class _FrameFeed:
    """Serves an iterator's frames to moviepy's by-time requests, in order, one cached.

    Input frames are ``[H, W, 3]`` or ``[H, W, 4]`` uint8; ``pad`` adds (right,
    bottom) replicated pixels for 4:2:0 H.264.
    """

    def __init__(
        self,
        frames: Iterable[np.ndarray],
        fps: float,
        size: tuple[int, int],
        frame_count: int,
        pad: tuple[int, int],
        bar: tqdm | None,
    ) -> None:
        self._frames = iter(frames)
        self._fps = fps
        self._size = size
        self._count = frame_count
        self._pad = pad
        self._bar = bar
        self._index = -1
        self._frame: np.ndarray | None = None

    def frame_at(self, t: float) -> np.ndarray:
        """The frame at time ``t`` (padded)."""
        index = min(round(t * self._fps), self._count - 1)
        if index < self._index:
            raise RuntimeError(f"moviepy asked for frame {index} after frame {self._index}")
        while self._index < index:
            frame = next(self._frames, None)
            if frame is None:
                raise VfxError(
                    f"the frames ended after {self._index + 1} of {self._count}; the input is "
                    "probably truncated or corrupt, re-encode it with ffmpeg"
                )
            width, height = self._size
            if frame.dtype != np.uint8 or frame.shape[:2] != (height, width) or frame.ndim != 3:
                raise ValueError(
                    f"frame {self._index + 1} is {frame.shape} {frame.dtype}; "
                    f"expected [{height}, {width}, 3|4] uint8"
                )
            if any(self._pad):
                right, bottom = self._pad
                frame = cv2.copyMakeBorder(frame, 0, bottom, 0, right, cv2.BORDER_REPLICATE)
            self._frame = frame
            self._index += 1
            if self._bar is not None:
                self._bar.update(1)
        assert self._frame is not None
        return self._frame

    def finish(self) -> None:
        """Check that every frame was consumed."""
        if self._index + 1 != self._count:
            raise RuntimeError(f"moviepy wrote {self._index + 1} of {self._count} frames")


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    *,
    fps: float,
    size: tuple[int, int],
    frame_count: int,
    audio_source: str | Path | None = None,
    audio_start: float = 0.0,
    crf: int = 18,
    preset: str = "medium",
    alpha: bool = False,
    progress: bool = True,
    threads: int | None = None,
) -> WriteResult:
    """Encode ``frames`` to ``path``; the format follows the extension (module docstring).

    Args:
        path: output file, folder, or ``%05d.png`` pattern; written atomically.
        frames: iterable of ``[H, W, 3]`` or ``[H, W, 4]`` (RGBA, straight alpha)
            uint8 frames, consumed lazily, exactly ``frame_count`` of them.
        fps: output frame rate.
        size: ``(width, height)`` of every frame.
        frame_count: number of frames to write.
        audio_source: a file whose first audio stream is carried over (copied
            where the container accepts its codec, else re-encoded).
        audio_start: seconds into ``audio_source`` (from its first video frame)
            where the rendered range starts; the audio lasts ``frame_count / fps``.
        crf: quality for H.264 and VP9 (lower is better); ProRes ignores it.
        preset: x264 speed/size preset (``ultrafast`` ... ``veryslow``); for VP9
            it picks the matching ``-cpu-used`` speed; ProRes and PNG ignore it.
        alpha: store the frames' alpha channel (RGB frames get opaque alpha).
            Raises :class:`VfxError` for an output that cannot hold alpha.
        progress: show a tqdm bar on stderr (frames, fps, ETA).
        threads: encoder threads passed to ffmpeg (default: ffmpeg's choice).

    Returns:
        :class:`WriteResult` with the output path, frame count and speed.
    """
    kind = output_format(path)
    if alpha and kind not in _ALPHA_KINDS:
        raise VfxError(
            f"{path} (H.264) cannot store alpha; write .mov, .webm or a PNG folder instead"
        )
    if frame_count <= 0:
        raise VfxError("there are no frames to write; check the frame range")
    width, height = size
    pad = (width % 2, height % 2) if kind == "mp4" else (0, 0)
    if preset not in X264_PRESETS:
        raise VfxError(f"unknown preset {preset!r}; use one of {', '.join(X264_PRESETS)}")
    codec, params = _codec_args(kind, alpha, crf, preset)
    from moviepy import VideoClip  # imported here: it takes a third of a second to load

    from vfx.io.moviepy_pipe import RawPipeWriter

    final, target, directory = output_target(path)
    duration = frame_count / fps
    started = time.perf_counter()
    bar = tqdm(
        total=frame_count, unit="frame", desc="writing", disable=not progress, dynamic_ncols=True
    )
    piped = (width + pad[0], height + pad[1])
    pix_fmt = _pipe_format(kind, alpha, piped)
    feed = _FrameFeed(frames, fps, size, frame_count, pad, bar)
    clip = None
    try:
        # a half-frame margin makes moviepy's int(duration * fps) exactly frame_count
        clip = VideoClip(feed.frame_at, duration=(frame_count + 0.5) / fps)
        with (
            atomic_output(final, directory=directory) as tmp,
            # named like the output's temporary: cleaning an output's temporaries removes it too
            tempfile.TemporaryDirectory(
                prefix=f".{final.name}.partial-audio-", dir=tmp.parent
            ) as scratch,
        ):
            plan = None
            if audio_source is not None and kind != "png":
                plan = extract_audio(
                    Path(audio_source), Path(scratch), final.suffix, audio_start, duration
                )
            with RawPipeWriter(
                tmp / target if directory else tmp,
                size=piped,
                fps=fps,
                pix_fmt=pix_fmt,
                codec=codec,
                params=params,
                preset=preset if codec == "libx264" else None,
                audio=None if plan is None else plan.path,
                audio_codec=None if plan is None else plan.ffmpeg_codec,
                threads=threads,
                shown_as=final,
            ) as pipe:
                for frame in clip.iter_frames(fps=fps, dtype="uint8"):
                    pipe.write_frame(frame)
            feed.finish()
            written = count_written_frames(tmp, kind)
            if written != frame_count:
                raise VfxError(
                    f"ffmpeg wrote {written} of {frame_count} frames to {final}; nothing was "
                    "written: check the disk and try again"
                )
    finally:
        bar.close()
        if clip is not None:
            clip.close()
    seconds = time.perf_counter() - started
    return WriteResult(
        path=final, frames=frame_count, seconds=seconds, fps_achieved=frame_count / seconds
    )


def lossless_writer(
    path: Path,
    *,
    size: tuple[int, int],
    fps: float,
    codec: str = "ffv1",
    gray: bool = True,
    metadata: Mapping[str, str] | None = None,
    shown_as: Path | None = None,
) -> RawPipeWriter:
    """An encoder for lossless video, fed one frame at a time; use as a context manager.

    Args:
        path: output file (``.mkv`` for FFV1, ``.mp4`` for H.264); the caller makes it atomic.
        size: ``(width, height)``.
        fps: frame rate, written as the exact rational.
        codec: ``"ffv1"`` (gray only, bit-exact) or ``"h264"``: ``qp 0`` H.264 in
            :data:`LOSSLESS_H264_PIX_FMT` (masks: black and white exact, other levels
            within 1; colour frames: lossless after the RGB to YUV conversion and
            half-resolution chroma, so flat colours come back within 1-2 levels).
        gray: frames are ``[H, W]`` uint8, else ``[H, W, 3]`` uint8 RGB (h264 only; converted
            to yuv420p as renders are, so a flat region keeps its colour up to its edge).
        metadata: container tags (Matroska keeps any; MP4 drops unknown ones).
        shown_as: the path error messages name (the final output, not its temporary).

    Returns:
        a :class:`~vfx.io.moviepy_pipe.RawPipeWriter`: ``write_frame(image)``, ``frames``.
    """
    from vfx.io.moviepy_pipe import RawPipeWriter  # imported here: moviepy loads slowly

    if codec == "ffv1" and gray:
        encoder, params, preset = "ffv1", ["-pix_fmt", "gray"], None
    elif codec == "h264":
        params = ["-qp", "0", "-pix_fmt", LOSSLESS_H264_PIX_FMT]
        encoder, preset = "libx264", "veryfast"
    else:
        raise ValueError(f"no lossless {'gray' if gray else 'RGB'} encoding for codec {codec!r}")
    return RawPipeWriter(
        path,
        size=size,
        fps=fps,
        pix_fmt="gray" if gray else _pipe_format("mp4", False, size),
        codec=encoder,
        params=params,
        preset=preset,
        metadata=metadata,
        shown_as=shown_as,
    )


def output_target(path: str | Path) -> tuple[Path, str, bool]:
    """Where an output goes: (file or folder, file-name pattern inside a folder, is a folder).

    Video files are their own target. A PNG sequence's target is its folder: the
    path itself (``seq/``, ``seq``) or a pattern's parent (``seq/cut_%05d.png``);
    frames are named ``%05d.png`` unless a pattern names them.

    Raises:
        VfxError: the format is unknown, or the sequence's folder is the current
            folder or one above it (a folder output replaces its folder).
    """
    path = Path(path)
    if output_format(path) != "png":
        return path, "", False
    is_pattern = _PATTERN.search(path.name) is not None and path.suffix.lower() == ".png"
    folder, name = (path.parent, path.name) if is_pattern else (path, "%05d.png")
    resolved, here = folder.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        stray = foreign_entry(folder)
        held = f"holds other files ({stray}) and " if stray else ""
        raise VfxError(
            f"a PNG sequence is written into a folder of its own; {folder} {held}is the current "
            f"folder or above it: name a new folder, e.g. -o seq/{name}"
        )
    return folder, name, True


def count_written_frames(path: Path, kind: str) -> int:
    """Frames in a finished output: PNG files in a sequence folder, video packets in a file.

    Counts packets without decoding, so it costs a read of the file's index only.
    """
    if kind == "png":
        return sum(1 for p in path.iterdir() if p.suffix.lower() == ".png")
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return sum(1 for packet in container.demux(stream) if packet.size > 0)
    except (av.FFmpegError, IndexError):
        return 0
