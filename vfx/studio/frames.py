"""Frames for the page: a JPEG proxy of every frame, a bounded LRU of decoded frames over one
video reader, and the overlay picture.

When a video opens, a low-priority thread decodes it once, front to back, and writes every frame
as a JPEG into the workspace (:class:`FrameProxy`): a jump to any frame then costs a file read
(and a JPEG decode when masks are drawn on it) instead of a seek to the previous keyframe and a
decode from there. The exact decoded frames (for the image encoder) stay in the LRU, so memory
stays flat however long the video is (at most ``capacity`` frames are held).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path

import cv2
import numpy as np

from vfx.io.video_source import VideoInfo

FRAME_CACHE_FRAMES = 48
JPEG_QUALITY = 85
PROXY_NICENESS = 10


def proxy_key(video: Path) -> str:
    """A folder name for ``video``'s proxy: changes when the file is replaced or edited."""
    stat = video.stat()
    text = f"{video.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class FrameProxy:
    """Every frame of ``video`` as ``<folder>/<index>.jpg`` (quality :data:`JPEG_QUALITY`, full
    size), written by a background thread at low CPU priority; each file appears complete
    (written under a temporary name, then renamed). Frames already there are kept."""

    def __init__(self, video: Path, folder: Path, frame_count: int) -> None:
        self.video, self.folder, self.frame_count = video, folder, frame_count
        self.written = 0
        self._stop = threading.Event()
        self._resume = threading.Event()  # clear while interactive work runs
        self._resume.set()
        self._pausing = 0
        self._pause_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="studio-proxy", daemon=True)

    def start(self) -> FrameProxy:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def path(self, index: int) -> Path | None:
        """Frame ``index``'s JPEG when it has been written."""
        path = self.folder / f"{index}.jpg"
        return path if path.is_file() else None

    @property
    def done(self) -> bool:
        return self.written >= self.frame_count

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the proxy back (between two frames) while the block runs: a click's decoder
        gets the CPU first."""
        with self._pause_lock:
            self._pausing += 1
            self._resume.clear()
        try:
            yield
        finally:
            with self._pause_lock:
                self._pausing -= 1
                if self._pausing == 0:
                    self._resume.set()

    def _run(self) -> None:
        from vfx.errors import VfxError
        from vfx.io.reader import open_video

        with contextlib.suppress(OSError, AttributeError):  # best effort: a nicer thread
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PROXY_NICENESS)
        missing = [i for i in range(self.frame_count) if self.path(i) is None]
        self.written = self.frame_count - len(missing)
        if not missing:
            return
        try:
            with open_video(self.video) as reader:
                for frame in reader.frames(missing[0]):
                    while not self._resume.wait(0.5):
                        if self._stop.is_set():
                            return
                    if self._stop.is_set():
                        return
                    if self.path(frame.index) is None:
                        target = self.folder / f"{frame.index}.jpg"
                        tmp = target.with_name(f".{frame.index}.{threading.get_ident()}.tmp")
                        tmp.write_bytes(jpeg(frame.rgb))
                        os.replace(tmp, target)
                    self.written = frame.index + 1
        except (VfxError, OSError):
            return  # the page falls back to decoding frames itself

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


class FrameCache:
    """Frames of one video by index, decoded on demand, the ``capacity`` most recent kept.

    Reads are serialised (a reader keeps one decoding position); sequential reads decode each
    frame once.
    """

    def __init__(
        self, video: Path, capacity: int = FRAME_CACHE_FRAMES, proxy_root: Path | None = None
    ) -> None:
        from vfx.io.reader import open_video

        self._reader = open_video(video)
        self.info: VideoInfo = self._reader.info
        self.capacity = capacity
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.proxy: FrameProxy | None = None
        if proxy_root is not None:
            folder = proxy_root / proxy_key(video)
            self.proxy = FrameProxy(video, folder, self.info.frame_count).start()

    def rgb(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W, 3]`` uint8 (shared: do not modify it)."""
        with self._lock:
            frame = self._frames.get(index)
            if frame is None:
                frame = self._reader.read(index)
                self._frames[index] = frame
                while len(self._frames) > self.capacity:
                    self._frames.popitem(last=False)
            self._frames.move_to_end(index)
            return frame

    def interactive(self) -> contextlib.AbstractContextManager:
        """A block of interactive work (a click): the proxy waits until it ends."""
        return contextlib.nullcontext() if self.proxy is None else self.proxy.paused()

    def jpeg(self, index: int) -> bytes:
        """Frame ``index`` as JPEG: the proxy's file, or encoded now."""
        path = None if self.proxy is None else self.proxy.path(index)
        if path is not None:
            with contextlib.suppress(OSError):
                return path.read_bytes()
        return jpeg(self.rgb(index))

    def display_rgb(self, index: int) -> np.ndarray:
        """Frame ``index`` ``[H, W, 3]`` uint8 for drawing on: the exact frame when it is in the
        LRU, else the proxy's JPEG decoded (no seek), else decoded from the video."""
        with self._lock:
            frame = self._frames.get(index)
        if frame is not None:
            return frame
        path = None if self.proxy is None else self.proxy.path(index)
        if path is not None:
            data = np.fromfile(path, np.uint8)
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
            if bgr is not None and bgr.shape[:2] == (self.info.height, self.info.width):
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return self.rgb(index)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.close()
        with self._lock:
            self._frames.clear()
            self._reader.close()


def overlay(rgb: np.ndarray, masks: Mapping[int, np.ndarray], opacity: float = 0.5) -> np.ndarray:
    """``rgb`` ``[H, W, 3]`` with each object's mask (``{id: [H, W] 0..1}``) tinted in its colour
    and outlined; returns a new ``[H, W, 3]`` uint8 array."""
    from effects.core.colors import object_color

    out = rgb.copy()
    thickness = max(1, max(rgb.shape[:2]) // 400)
    for obj_id in sorted(masks):
        mask = masks[obj_id]
        inside = mask.view(np.uint8) if mask.dtype == bool else (mask > 0.5).astype(np.uint8)
        x, y, w, h = cv2.boundingRect(inside)  # [H, W] 0/1 -> its bounding box
        if w == 0 or h == 0:
            continue
        color = tuple(int(c) for c in object_color(obj_id))
        # blend and outline inside the mask's bounding box only, with cv2 (no float
        # temporaries): a 1080p overlay costs a few milliseconds
        roi, roi_mask = out[y : y + h, x : x + w], inside[y : y + h, x : x + w]
        scaled = cv2.addWeighted(roi, 1.0 - opacity, roi, 0.0, 0.0)
        tinted = cv2.add(scaled, (*(c * opacity for c in color), 0.0))
        cv2.copyTo(tinted, roi_mask, roi)
        contours, _ = cv2.findContours(np.ascontiguousarray(roi_mask), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE, offset=(x, y))  # fmt: skip
        cv2.drawContours(out, contours, -1, color, thickness)
    return out


def jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """``[H, W, 3]`` uint8 RGB as JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])  # fmt: skip
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
