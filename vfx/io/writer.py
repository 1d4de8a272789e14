"""Write a stream of frames to a video file or PNG sequence through moviepy's ffmpeg writer.

Frames are pulled lazily from the caller's iterator by ONE ``VideoClip`` whose
frame function serves them in order, so the video is never held in memory.
moviepy asks for frames by time ``t = i / fps``; the frame function maps that
back to ``i`` and keeps only the last frame for a repeated request. The clip's
duration is set half a frame past the last frame so that moviepy's
``int(duration * fps)`` frame count is exactly ``frame_count``.

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
other formats keep the exact size. The frame rate goes to ffmpeg rounded to
two decimals (moviepy's ``-r %.02f``), so 30000/1001 is written as 29.97.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.audio import extract_audio

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
# [256] float32 mask values that moviepy's ``uint8(255 * m)`` truncation maps back to 0..255
_ALPHA_TO_MASK = ((np.arange(256) + 0.25) / 255.0).astype(np.float32)


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


class _FrameFeed:
    """Serves an iterator's frames to moviepy's by-time requests, in order, one cached.

    Frames are ``[H, W, 3]`` or ``[H, W, 4]`` uint8; ``pad`` adds (right, bottom)
    replicated pixels for 4:2:0 H.264.
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
        self._alpha_index = -2
        self._alpha: np.ndarray | None = None

    def _frame_at(self, t: float) -> np.ndarray:
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

    def rgb(self, t: float) -> np.ndarray:
        """``[H, W, 3]`` uint8 frame at time ``t`` (a view when the source is RGBA)."""
        frame = self._frame_at(t)
        return frame if frame.shape[2] == 3 else frame[:, :, :3]

    def alpha(self, t: float) -> np.ndarray:
        """``[H, W]`` float32 mask for moviepy, which scales it by 255 and truncates to uint8.

        Each byte maps to a value a quarter level up, so the truncation gives it back.
        """
        frame = self._frame_at(t)
        if self._alpha_index != self._index:
            if frame.shape[2] == 4:
                self._alpha = _ALPHA_TO_MASK[frame[:, :, 3]]
            else:
                self._alpha = np.ones(frame.shape[:2], np.float32)
            self._alpha_index = self._index
        assert self._alpha is not None
        return self._alpha

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
    if preset not in _VP9_SPEED:
        raise VfxError(f"unknown preset {preset!r}; use one of {', '.join(_VP9_SPEED)}")
    codec, params = _codec_args(kind, alpha, crf, preset)
    from moviepy import VideoClip  # imported here: it takes a third of a second to load

    final, target, directory = _targets(Path(path), kind)
    duration = frame_count / fps
    started = time.perf_counter()
    bar = tqdm(
        total=frame_count, unit="frame", desc="writing", disable=not progress, dynamic_ncols=True
    )
    feed = _FrameFeed(frames, fps, size, frame_count, pad, bar)
    clip = None
    try:
        # a half-frame margin makes moviepy's int(duration * fps) exactly frame_count
        clip = VideoClip(feed.rgb, duration=(frame_count + 0.5) / fps)
        if alpha:
            clip = clip.with_mask(VideoClip(feed.alpha, is_mask=True, duration=clip.duration))
        with (
            atomic_output(final, directory=directory) as tmp,
            tempfile.TemporaryDirectory(prefix=".vfx-audio-", dir=tmp.parent) as scratch,
        ):
            plan = None
            if audio_source is not None and kind != "png":
                plan = extract_audio(
                    Path(audio_source), Path(scratch), final.suffix, audio_start, duration
                )
            out = tmp / target if directory else tmp
            clip.write_videofile(
                str(out),
                fps=fps,
                codec=codec,
                preset=preset,
                audio=False if plan is None else str(plan.path),
                audio_codec=None if plan is None else plan.ffmpeg_codec,
                threads=threads,
                ffmpeg_params=params,
                logger=None,
            )
            feed.finish()
    finally:
        bar.close()
        if clip is not None:
            clip.close()
    seconds = time.perf_counter() - started
    return WriteResult(
        path=final, frames=frame_count, seconds=seconds, fps_achieved=frame_count / seconds
    )


def _targets(path: Path, kind: str) -> tuple[Path, str, bool]:
    """(atomic target, file name inside it for sequences, whether it is a folder).

    A PNG sequence replaces its whole folder, so the folder must be new or hold
    only PNG files, and may not be (or contain) the current directory.
    """
    if kind != "png":
        return path, "", False
    is_pattern = _PATTERN.search(path.name) is not None and path.suffix.lower() == ".png"
    folder, name = (path.parent, path.name) if is_pattern else (path, "%05d.png")
    resolved, here = folder.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise VfxError(f"a PNG sequence replaces its folder {folder}; write it to a new sub-folder")
    if folder.is_dir():
        strays = [p.name for p in folder.iterdir() if p.suffix.lower() != ".png"]
        if strays:
            raise VfxError(
                f"folder {folder} holds other files ({strays[0]}); "
                "write the PNG sequence to a new folder"
            )
    return folder, name, True
