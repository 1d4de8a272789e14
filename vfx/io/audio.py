"""Carry a source's audio into a rendered video without re-encoding it where possible.

The writer hands ffmpeg a short intermediate audio file holding exactly the
rendered range of the source's first audio stream. Its packets are copied
(PyAV remux, no decoding), so the audio stays bit-identical; ffmpeg then
copies them again into the output. Only when the output container cannot hold
the source codec (AAC into WebM, PCM into MP4, ...) does ffmpeg re-encode, to
AAC for .mp4/.mov and Opus for .webm.

Lossless cuts land on audio packet boundaries (about 21 ms for AAC at 48 kHz).
The packet just before the cut is kept too, with a negative timestamp, so the
decoder is primed and the first audible sample is on time; the MP4/MOV muxer
records that lead-in in an edit list, as encoders do for AAC priming.
"""

from __future__ import annotations

import errno
import math
from dataclasses import dataclass
from pathlib import Path

import av

from vfx.io.pyav_reader import unreadable

# Audio codecs each output container accepts as they are.
_COPYABLE = {
    ".mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"},
    ".mov": {
        "aac",
        "mp3",
        "alac",
        "ac3",
        "eac3",
        "pcm_s16le",
        "pcm_s24le",
        "pcm_s16be",
        "pcm_s24be",
    },
    ".webm": {"opus", "vorbis"},
}
# Errors writing the scratch file, which are the output's problem, not the source's.
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)
_REENCODE = {".mp4": "aac", ".mov": "aac", ".webm": "libopus"}


@dataclass(frozen=True)
class AudioPlan:
    """How the output gets its audio: an intermediate file and ffmpeg's ``-acodec``."""

    path: Path
    ffmpeg_codec: str


def extract_audio(
    source: Path, scratch: Path, output_suffix: str, start: float, duration: float
) -> AudioPlan | None:
    """Copy the audio packets of ``[start, start + duration)`` into a file under ``scratch``.

    ``start`` is in seconds from the first video frame of ``source`` (the time
    base of :class:`vfx.io.video_source.Frame`). Returns ``None`` when the source
    has no audio or nothing of it falls in the range.

    Raises:
        VfxError: ``source`` cannot be read.
        OSError: ``scratch`` cannot be written (a full disk); :func:`vfx.io.atomic.atomic_output`
            reports it.
    """
    try:
        return _copy_range(source, scratch, output_suffix.lower(), start, duration)
    except av.FFmpegError as exc:
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
            raise
        raise unreadable(source, exc) from None


def _copy_range(
    source: Path, scratch: Path, suffix: str, start: float, duration: float
) -> AudioPlan | None:
    with av.open(str(source)) as container:
        if not container.streams.audio:
            return None
        in_stream = container.streams.audio[0]
        codec = in_stream.codec_context.name
        copy = codec in _COPYABLE[suffix]
        # Matroska holds any codec, so it carries audio that ffmpeg will re-encode.
        target = scratch / f"audio{suffix if copy else '.mka'}"
        video = container.streams.video[0] if container.streams.video else None
        origin = 0.0
        if video is not None and video.start_time is not None:
            origin = float(video.start_time * video.time_base)
        time_base = in_stream.time_base
        first = math.floor((origin + start) / time_base)
        last = math.ceil((origin + start + duration) / time_base)
        written = 0
        with av.open(str(target), "w") as out:
            out_stream = out.add_stream_from_template(in_stream)
            previous = None
            for packet in container.demux(in_stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                end = packet.pts + (packet.duration or 0)
                if end <= first:
                    previous = packet
                    continue
                if packet.pts >= last:
                    break
                if written == 0 and copy and previous is not None:
                    written += _mux_shifted(out, out_stream, previous, first)
                written += _mux_shifted(out, out_stream, packet, first)
    if written == 0:
        target.unlink(missing_ok=True)
        return None
    return AudioPlan(path=target, ffmpeg_codec="copy" if copy else _REENCODE[suffix])


def _mux_shifted(
    out: av.container.OutputContainer, stream: av.AudioStream, packet: av.Packet, origin: int
) -> int:
    assert packet.pts is not None  # packets without a time were skipped
    packet.pts -= origin
    packet.dts = packet.pts
    packet.stream = stream
    out.mux(packet)
    return 1
