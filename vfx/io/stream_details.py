"""What a container says about its streams beyond the decoded pixels: alpha and audio.

A VP9 (or VP8) stream with alpha stores the alpha plane as side data next to
each frame and marks the stream with the Matroska tag ``alpha_mode=1``; FFmpeg's
native decoder ignores that side data and reports ``yuv420p``, so the tag is
what says the file carries transparency (``yuva420p``). Audio details come from
the first audio stream's codec parameters, without decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import av


@dataclass(frozen=True)
class AudioInfo:
    """The first audio stream of a file.

    Attributes:
        codec: codec name (``"aac"``, ``"opus"``, ``"pcm_s16le"``, ...).
        channels: number of channels.
        layout: channel layout name (``"stereo"``, ``"mono"``, ``"5.1"``, ...).
        sample_rate: samples per second.
    """

    codec: str
    channels: int
    layout: str
    sample_rate: int

    def describe(self) -> str:
        """One line, e.g. ``aac, 2 channels (stereo), 48000 Hz``."""
        plural = "channel" if self.channels == 1 else "channels"
        return f"{self.codec}, {self.channels} {plural} ({self.layout}), {self.sample_rate} Hz"


def audio_info(container: av.container.InputContainer) -> AudioInfo | None:
    """The first audio stream's codec, channels and rate, or ``None`` when there is none."""
    if not container.streams.audio:
        return None
    ctx = container.streams.audio[0].codec_context
    layout = ctx.layout
    return AudioInfo(
        codec=str(ctx.name),
        channels=int(layout.nb_channels if layout is not None else ctx.channels),
        layout=str(layout.name if layout is not None else "unknown"),
        sample_rate=int(ctx.sample_rate or 0),
    )


def stored_pix_fmt(stream: av.VideoStream, decoded: str) -> str:
    """The pixel format the file stores: ``decoded``, with the alpha plane of a VP8/VP9
    stream tagged ``alpha_mode=1`` added (``yuv420p`` -> ``yuva420p``)."""
    tags = {str(k).lower(): str(v) for k, v in (stream.metadata or {}).items()}
    if tags.get("alpha_mode") == "1" and decoded.startswith("yuv") and "yuva" not in decoded:
        return "yuva" + decoded[3:]
    return decoded


def has_alpha(pix_fmt: str) -> bool:
    """Whether the pixel format ``pix_fmt`` (an FFmpeg name) has an alpha plane."""
    try:
        return any(c.is_alpha for c in av.VideoFormat(pix_fmt).components)
    except ValueError:  # a name this FFmpeg does not know
        return False
