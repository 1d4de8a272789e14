"""Video files through PyAV: upright RGB frames, exact per-frame times, seeking by index.

When a file is opened its video packets are demuxed once (no decoding, so it
is cheap: it reads the file but runs no codec, about 10 µs per frame here) to
build a presentation-time index. That index is the source of truth for the
frame count, the per-frame times of variable-frame-rate video and the
index → timestamp map used to seek; the container's own frame count can be
missing (WebM, MKV) or wrong (edit lists), so it is not used. Packets the
demuxer flags as discarded (the lead-in cut by an MP4 edit list) are not
frames. Streams whose packets carry no timestamps (raw elementary streams) are
counted by decoding instead, and then seek by decoding from the start.

Rotation metadata (the display matrix, degrees counter-clockwise, rounded to a
quarter turn; mirroring is not applied) is applied to every frame, as players
do. Pixels are delivered as stored: a non-square sample aspect ratio is not
resampled.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.io.stream_details import audio_info, has_alpha, stored_pix_fmt
from vfx.io.video_source import Frame, VideoInfo, VideoReader

_FALLBACK_FPS = 30.0


def unreadable(path: Path, reason: str | av.FFmpegError) -> VfxError:
    """The one error for a file that is not a usable video."""
    if isinstance(reason, av.FFmpegError):
        reason = (reason.strerror or str(reason)).rstrip(".").lower()
    return VfxError(
        f"{path} is not a video PyAV can read: {reason}; check the file or re-encode it with ffmpeg"
    )


class PyAVReader(VideoReader):
    """Frames of a video file, decoded with PyAV (threaded) and converted to RGB uint8."""

    def __init__(self, path: Path) -> None:
        self._path = path
        if not path.exists():
            raise VfxError(f"input {path} does not exist; check the path")
        if path.stat().st_size == 0:
            raise unreadable(path, "the file is empty")
        container = self._open()
        try:
            stream = container.streams.video[0]
            first = next(container.decode(stream), None)
            if first is None:
                raise unreadable(path, "no video frame could be decoded")
            self._rotation = round(first.rotation / 90) * 90 % 360
            self._coded_size = (first.width, first.height)
            self._deep = max(c.bits for c in first.format.components) > 8
            codec = stream.codec_context.name
            pix_fmt = stored_pix_fmt(stream, str(first.format.name))
            time_base = stream.time_base or Fraction(1, 1)
            nominal = stream.average_rate or stream.guessed_rate
            audio = audio_info(container)
        except av.FFmpegError as exc:
            raise unreadable(path, exc) from None
        finally:
            container.close()

        index = self._packet_index()
        if index is None:  # no timestamps: count by decoding and assume a constant rate
            self._pts: np.ndarray | None = None
            self._keyframes: np.ndarray | None = None
            count = self._decoded_count()
            fps = float(nominal) if nominal else _FALLBACK_FPS
            self._times = np.arange(count) / fps  # [N] seconds
            duration = count / fps
        else:
            pts, end_pts, self._keyframes = index
            self._pts = pts  # [N] int64 presentation timestamps in display order
            self._times = (pts - pts[0]).astype(np.float64) * float(time_base)  # [N] seconds
            count = len(pts)
            if nominal:
                fps = float(nominal)
            elif self._times[-1] > 0:
                fps = (count - 1) / float(self._times[-1])
            else:
                fps = _FALLBACK_FPS
            if end_pts is None or end_pts <= pts[-1]:
                duration = float(self._times[-1]) + 1.0 / fps
            else:
                duration = float((end_pts - pts[0]) * time_base)
        width, height = self._coded_size
        if self._rotation in (90, 270):
            width, height = height, width
        super().__init__(
            VideoInfo(
                width=width,
                height=height,
                fps=fps,
                frame_count=count,
                duration=duration,
                rotation=self._rotation,
                codec=codec,
                pix_fmt=pix_fmt,
                has_audio=audio is not None,
                path=path,
                has_alpha=has_alpha(pix_fmt),
                audio=audio,
            )
        )

    @property
    def frame_times(self) -> np.ndarray:
        """``[frame_count]`` presentation times in seconds (exact for variable frame rate)."""
        return self._times

    def _open(self) -> av.container.InputContainer:
        try:
            container = av.open(str(self._path), "r")
        except av.FFmpegError as exc:
            raise unreadable(self._path, exc) from None
        if not container.streams.video:
            container.close()
            raise unreadable(self._path, "it has no video stream")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            container.close()
            raise unreadable(self._path, f"PyAV has no decoder for its video codec {stream.codec}")
        stream.thread_type = "AUTO"
        return container

    def _packet_index(self) -> tuple[np.ndarray, int | None, np.ndarray] | None:
        """Demux (not decode) the video packets: sorted pts ``[N]``, end pts, keyframe pts ``[K]``.

        Returns ``None`` when a packet has no timestamp.
        """
        pts: list[int] = []
        keys: list[int] = []
        end: int | None = None
        container = self._open()
        try:
            for packet in container.demux(container.streams.video[0]):
                if packet.size == 0 or packet.is_discard:
                    continue
                if packet.pts is None:
                    return None
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keys.append(packet.pts)
                if packet.duration:
                    stop = packet.pts + packet.duration
                    end = stop if end is None else max(end, stop)
        except av.FFmpegError as exc:
            raise unreadable(self._path, exc) from None
        finally:
            container.close()
        if not pts:
            raise unreadable(self._path, "its video stream has no packets")
        return np.sort(np.asarray(pts, np.int64)), end, np.sort(np.asarray(keys, np.int64))

    def _decoded_count(self) -> int:
        """Count frames by decoding, for streams without packet timestamps."""
        container = self._open()
        try:
            return sum(1 for _ in container.decode(container.streams.video[0]))
        except av.FFmpegError as exc:
            raise unreadable(self._path, exc) from None
        finally:
            container.close()

    def _decoded_from(
        self, start: int
    ) -> tuple[av.container.InputContainer, Iterator[av.VideoFrame]]:
        """Open the file and return it with its decoded frames, the first being frame ``start``."""
        container = self._open()
        stream = container.streams.video[0]
        keyframes = self._keyframes
        if start > 0 and self._pts is not None and keyframes is not None and len(keyframes):
            target = int(self._pts[start])
            slot = max(int(np.searchsorted(keyframes, target, side="right")) - 1, 0)
            container.seek(int(keyframes[slot]), stream=stream, backward=True)
            frames = container.decode(stream)
            for frame in frames:
                if frame.pts is not None and frame.pts >= target:
                    if frame.pts == target:
                        return container, itertools.chain([frame], frames)
                    break
            # The demuxer landed past the target: decode from the start instead.
            container.close()
            container = self._open()
            stream = container.streams.video[0]
        return container, itertools.islice(container.decode(stream), start, None)

    def _to_rgb(self, frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
        """``[H, W, 3]`` uint8 RGB of a frame of any pix_fmt, at the stream's first size.

        swscale's direct high-bit-depth → rgb24 path is up to 2 levels darker than
        ffmpeg's own output, so deep formats go through rgb48 and a rounded scale.
        """
        if self._deep:
            rgb48 = frame.to_ndarray(format="rgb48le", width=width, height=height)
            return cv2.convertScaleAbs(rgb48, alpha=1 / 257)
        return frame.to_ndarray(format="rgb24", width=width, height=height)

    def _generate(self, start: int, stop: int) -> Iterator[Frame]:
        if start >= stop:
            return
        container, frames = self._decoded_from(start)
        width, height = self._coded_size
        turns = self._rotation // 90
        try:
            for index in range(start, stop):
                frame = next(frames, None)
                if frame is None:
                    return
                rgb = self._to_rgb(frame, width, height)
                if turns:
                    rgb = np.ascontiguousarray(np.rot90(rgb, turns))
                yield Frame(index=index, time=float(self._times[index]), rgb=rgb)
        except av.FFmpegError as exc:
            reason = f"decoding failed at frame {index} ({exc.strerror})"
            raise unreadable(self._path, reason) from None
        finally:
            container.close()
