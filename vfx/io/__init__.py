"""Reading frames in and writing videos out: PyAV decoding, moviepy encoding, audio remux."""

from vfx.io.reader import Frame, VideoInfo, VideoReader, open_video
from vfx.io.writer import WriteResult, output_supports_alpha, write_video

__all__ = [
    "Frame",
    "VideoInfo",
    "VideoReader",
    "WriteResult",
    "open_video",
    "output_supports_alpha",
    "write_video",
]
