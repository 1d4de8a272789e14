"""A small PyAV reader for video files: upright RGB frames by index, for :class:`VideoFileFrames`.

``sam2`` is the lowest layer, so it reads files itself. The packets are demuxed once (no
decoding) into a presentation-time index; a read seeks to the keyframe at or before the frame
and decodes forward to it, and consecutive reads continue the same decode. Rotation metadata is
applied in quarter turns, as players do. Applications with their own reader pass a
:class:`~sam2.video_state.FrameReader` instead (vfx does).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np


class PyAVFileReader:
    """Random access to the frames of one video file (satisfies ``FrameReader``)."""

    def __init__(self, path: Path) -> None:
        import av

        self._path = path
        self._container = av.open(str(path))
        if not self._container.streams.video:
            self._container.close()
            raise ValueError(f"{path} has no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        pts, keys = [], []
        for packet in self._container.demux(self._stream):
            if packet.size == 0 or packet.is_discard or packet.pts is None:
                continue
            pts.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
        if not pts:
            self._container.close()
            raise ValueError(f"{path} has no video frames with timestamps")
        self._pts = np.sort(np.asarray(pts, np.int64))  # [N] display order
        self._keys = np.sort(np.asarray(keys or pts[:1], np.int64))  # [K]
        self._frames: Iterator | None = None
        self._next = -1  # index the open decode yields next
        first = self.read(0)
        self.frame_count = len(self._pts)
        self.height, self.width = first.shape[:2]

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W, 3]`` uint8 RGB, upright."""
        if not 0 <= index < len(self._pts):
            raise IndexError(f"frame {index} is outside 0..{len(self._pts) - 1}")
        target = int(self._pts[index])
        if self._frames is None or index < self._next or index > self._next + 16:
            slot = max(int(np.searchsorted(self._keys, target, side="right")) - 1, 0)
            self._container.seek(int(self._keys[slot]), stream=self._stream, backward=True)
            self._frames = self._container.decode(self._stream)
        for frame in self._frames:
            if frame.pts is None or frame.pts < target:
                continue
            self._next = index + 1
            rgb = frame.to_ndarray(format="rgb24")
            turns = round(frame.rotation / 90) % 4
            return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb
        raise ValueError(f"{self._path}: frame {index} could not be decoded")

    def close(self) -> None:
        self._container.close()
