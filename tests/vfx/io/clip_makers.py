"""Small test clips with the properties the reader must handle.

Each frame carries its index in its brightness (``level(i)``) so a test can
tell which frame it got after a seek, a rotation or a format conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def level(index: int) -> int:
    """Grey level of frame ``index`` (distinct for the first 40 frames)."""
    return 20 + 5 * index


def marked_frame(index: int, width: int, height: int) -> np.ndarray:
    """``[H, W, 3]`` uint8 frame of grey ``level(index)`` with a white top-left corner block.

    The corner block (a quarter of each side) shows the orientation.
    """
    rgb = np.full((height, width, 3), level(index), np.uint8)
    rgb[: height // 4, : width // 4] = 255
    return rgb


def write_clip(
    path: Path,
    width: int = 64,
    height: int = 48,
    frames: int = 12,
    fps: int = 24,
    *,
    codec: str = "libx264",
    pix_fmt: str = "yuv444p",
    rotation: int = 0,
    times: Sequence[float] | None = None,
    gop: int | None = None,
    options: dict[str, str] | None = None,
    audio_codec: str | None = None,
) -> Path:
    """Write marked frames; ``times`` (seconds) gives variable-frame-rate timestamps.

    ``audio_codec`` adds a mono 440 Hz tone as long as the video.
    """
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        audio = _mono_stream(container, audio_codec) if audio_codec else None
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        opts = {"crf": "1", "preset": "ultrafast"} if codec == "libx264" else {}
        opts.update(options or {})
        stream.options = opts
        if gop is not None:
            stream.codec_context.gop_size = gop
        if rotation:
            stream.set_display_rotation(rotation)
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(marked_frame(i, width, height), format="rgb24")
            if times is not None:
                frame.pts = round(times[i] * 1000)
                frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if audio is not None:
            _encode_tone(container, audio, frames / fps)
    return path


RATE = 48000


def _mono_stream(container: av.container.OutputContainer, codec: str) -> av.AudioStream:
    stream = container.add_stream(codec, rate=RATE)
    stream.layout = "mono"
    return stream


def _encode_tone(
    container: av.container.OutputContainer, stream: av.AudioStream, seconds: float
) -> None:
    """Encode a 440 Hz tone of ``seconds`` into a mono ``stream``."""
    samples = int(seconds * RATE)
    tone = (0.2 * np.sin(np.arange(samples) * 2 * np.pi * 440 / RATE)).astype(np.float32)
    sample_format = stream.codec_context.codec.audio_formats[0].name  # "fltp" or "s16"
    if sample_format == "s16":
        tone = (tone * 32767).astype(np.int16)
    for start in range(0, samples, 1024):
        chunk = tone[start : start + 1024][None]  # [1, samples]: mono
        frame = av.AudioFrame.from_ndarray(chunk, format=sample_format, layout="mono")
        frame.sample_rate, frame.pts = RATE, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def write_audio_only(path: Path, seconds: float = 0.5) -> Path:
    """An AAC file with a sine tone and no video stream."""
    with av.open(str(path), "w") as container:
        _encode_tone(container, _mono_stream(container, "aac"), seconds)
    return path
