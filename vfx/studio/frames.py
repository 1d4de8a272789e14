"""Frames for the page: a JPEG proxy of every frame, a bounded LRU of decoded frames over one
video reader, and the overlay picture.

When a video opens, a low-priority thread decodes it once, front to back, and writes every frame
as a JPEG into the workspace (:class:`FrameProxy`): a jump to any frame then costs a file read
(and a JPEG decode when masks are drawn on it) instead of a seek to the previous keyframe and a
decode from there. The exact decoded frames (for the image encoder) stay in the LRU, so memory
stays flat however long the video is (at most ``capacity`` frames are held).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path

import cv2
import numpy as np

from vfx.io.video_source import VideoInfo
from vfx.limits import Limit

FRAME_CACHE_FRAMES = 48
JPEG_QUALITY = 85
PROXY_NICENESS = 10
# every video's proxy together, in the workspace's .studio/proxy (least recently used go first)
PROXY_CAP = Limit("VFX_STUDIO_PROXY_MB", 4096, "MB of frame proxies")


def proxy_key(video: Path) -> str:
    """A folder name for ``video``'s proxy: changes when the file is replaced or edited."""
    stat = video.stat()
    text = f"{video.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def prune_proxies(root: Path, cap: int, keep: Path) -> int:
    """Delete the least recently used proxy folders under ``root`` (by modification time:
    opening a video or writing a frame uses its folder), never ``keep``, until all of them
    together hold at most ``cap`` bytes; returns the bytes the other folders still hold."""
    others = {p: _folder_bytes(p) for p in root.iterdir() if p.is_dir() and p != keep}
    total = sum(others.values()) + (_folder_bytes(keep) if keep.is_dir() else 0)
    for folder in sorted(others, key=lambda p: p.stat().st_mtime):
        if total <= cap:
            break
        shutil.rmtree(folder, ignore_errors=True)
        total -= others.pop(folder)
    return sum(others.values())


class FrameProxy:
    """Every frame of ``video`` as ``<folder>/<index>.jpg`` (quality :data:`JPEG_QUALITY`, full
    size), written by a background thread at low CPU priority; each file appears complete
    (written under a temporary name, then renamed). Frames already there are kept.

    With a ``cap``, the proxies beside it (other videos' folders in ``folder``'s parent) and
    this one hold at most ``cap`` bytes together: starting deletes the least recently used
    others beyond it, a frame that does not fit deletes more of them, and when only this one
    is left, writing stops (the frames after that are decoded when shown).
    """

    def __init__(
        self, video: Path, folder: Path, frame_count: int, cap: int | None = None
    ) -> None:
        self.video, self.folder, self.frame_count = video, folder, frame_count
        self.cap = cap
        self._others = 0  # bytes in the other proxies
        self.written = 0
        self.capped = False
        self._finished = threading.Event()
        self._stop = threading.Event()
        self._resume = threading.Event()  # clear while interactive work runs
        self._resume.set()
        self._pausing = 0
        self._pause_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="studio-proxy", daemon=True)

    def start(self) -> FrameProxy:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.utime(self.folder)  # used now: the last to go
        if self.cap is not None:
            self._others = prune_proxies(self.folder.parent, self.cap, self.folder)
        self._thread.start()
        return self

    def path(self, index: int) -> Path | None:
        """Frame ``index``'s JPEG when it has been written."""
        path = self.folder / f"{index}.jpg"
        return path if path.is_file() else None

    @property
    def done(self) -> bool:
        """Nothing more will be written: every frame is there, or the writer stopped (the
        budget was reached, the proxy was closed, the video could not be read)."""
        return self._finished.is_set()

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
        try:
            self._write()
        finally:
            self._finished.set()

    def _write(self) -> None:
        from vfx.errors import VfxError
        from vfx.io.reader import open_video

        with contextlib.suppress(OSError, AttributeError):  # best effort: a nicer thread
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PROXY_NICENESS)
        missing = [i for i in range(self.frame_count) if self.path(i) is None]
        self.written = self.frame_count - len(missing)
        if not missing:
            return
        try:
            held = _folder_bytes(self.folder)
            with open_video(self.video) as reader:
                for frame in reader.frames(missing[0]):
                    while not self._resume.wait(0.5):
                        if self._stop.is_set():
                            return
                    if self._stop.is_set():
                        return
                    if self.path(frame.index) is None:
                        data = jpeg(frame.rgb)
                        if not self._fits(held + len(data)):
                            self.capped = True
                            return
                        target = self.folder / f"{frame.index}.jpg"
                        tmp = target.with_name(f".{frame.index}.{threading.get_ident()}.tmp")
                        tmp.write_bytes(data)
                        os.replace(tmp, target)
                        held += len(data)
                    self.written = frame.index + 1
        except (VfxError, OSError):
            return  # the page falls back to decoding frames itself

    def _fits(self, size: int) -> bool:
        """Whether this proxy may hold ``size`` bytes (deleting other proxies for room)."""
        if self.cap is None or size + self._others <= self.cap:
            return True
        self._others = prune_proxies(self.folder.parent, self.cap - size, self.folder)
        return size + self._others <= self.cap

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
        self,
        video: Path,
        capacity: int = FRAME_CACHE_FRAMES,
        proxy_root: Path | None = None,
        proxy_cap: int | None = None,
    ) -> None:
        """``proxy_root``: where frame proxies live (None: no proxy); ``proxy_cap``: the bytes
        all of them may hold together (default ``$VFX_STUDIO_PROXY_MB`` MB, :data:`PROXY_CAP`;
        see :class:`FrameProxy`)."""
        from vfx.io.reader import open_video

        cap = proxy_cap if proxy_cap is not None else PROXY_CAP.value << 20
        self._reader = open_video(video)
        self.info: VideoInfo = self._reader.info
        self.capacity = capacity
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.proxy: FrameProxy | None = None
        if proxy_root is not None:
            folder = proxy_root / proxy_key(video)
            self.proxy = FrameProxy(video, folder, self.info.frame_count, cap).start()

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


OVERLAY_OPACITY = 0.5


def object_hex(obj_id: int) -> str:
    """Object ``obj_id``'s colour as ``#rrggbb`` (the overlay's tint)."""
    from effects.core.colors import object_color

    return "#{:02x}{:02x}{:02x}".format(*object_color(obj_id))


def outline_thickness(width: int, height: int) -> int:
    """The mask outline's width in video pixels (the page draws the same)."""
    return max(1, max(width, height) // 400)


def _box(mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``mask`` ``[H, W]`` (bool or 0..1) as 0/1 uint8 (no copy for bool) and its bounding box
    ``(x, y, w, h)`` (``w == 0`` when empty)."""
    inside = mask.view(np.uint8) if mask.dtype == bool else (mask > 0.5).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(inside)
    return inside, (x, y, w, h)


def outline(inside: np.ndarray, thickness: int) -> np.ndarray:
    """The outline of ``inside`` ``[h, w]`` 0/1 uint8: its edge pixels (a 4-neighbour outside
    the mask or the picture), each grown to a ``thickness`` square reaching ``thickness // 2``
    pixels right and down (cv2's anchor); ``[h + 2t, w + 2t]`` 0/1 uint8, padded by ``t`` on
    every side so the outline may spill past the mask's box. The page draws the same."""
    t = thickness
    padded = cv2.copyMakeBorder(inside, t, t, t, t, cv2.BORDER_CONSTANT, value=0)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    edges = padded - cv2.erode(padded, cross, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.dilate(edges, np.ones((t, t), np.uint8)) if t > 1 else edges


def rle(mask: np.ndarray) -> str:
    """``mask`` ``[H, W]`` (bool or 0..1) as row-major run lengths, outside first (a mask
    starting inside begins with 0), little-endian uint32, base64: what a click's answer
    carries to the page (a few milliseconds at 1080p, however ragged the mask)."""
    flat = _box(mask)[0].ravel()  # [H, W] -> [H * W]
    starts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], starts, [flat.size]))
    counts = np.diff(bounds)
    if flat.size and flat[0]:
        counts = np.concatenate(([0], counts))
    return base64.b64encode(counts.astype("<u4").tobytes()).decode("ascii")


def rle_mask(encoded: str, width: int, height: int) -> np.ndarray:
    """:func:`rle`'s inverse, as the page decodes it: ``[H, W]`` bool."""
    counts = np.frombuffer(base64.b64decode(encoded), "<u4")
    values = np.arange(counts.size) % 2 == 1  # runs alternate: outside, inside, ...
    return np.repeat(values, counts).reshape(height, width)  # [H * W] -> [H, W]


def overlay(
    rgb: np.ndarray, masks: Mapping[int, np.ndarray], opacity: float = OVERLAY_OPACITY
) -> np.ndarray:
    """``rgb`` ``[H, W, 3]`` with each object's mask (``{id: [H, W] 0..1}``) tinted in its colour
    and outlined (the page draws a click's masks the same way); a new ``[H, W, 3]`` uint8."""
    from effects.core.colors import object_color

    out = rgb.copy()
    height, width = rgb.shape[:2]
    t = outline_thickness(width, height)
    for obj_id in sorted(masks):
        inside, (x, y, w, h) = _box(masks[obj_id])
        if w == 0 or h == 0:
            continue
        color = tuple(int(c) for c in object_color(obj_id))
        # inside the mask's bounding box only, with cv2 (no float temporaries): a 1080p overlay
        # costs a few milliseconds
        roi, roi_mask = out[y : y + h, x : x + w], inside[y : y + h, x : x + w]
        scaled = cv2.addWeighted(roi, 1.0 - opacity, roi, 0.0, 0.0)
        tinted = cv2.add(scaled, (*(c * opacity for c in color), 0.0))
        cv2.copyTo(tinted, roi_mask, roi)
        # the outline, clipped to the picture (it spills up to t pixels past the box)
        line = outline(roi_mask, t)
        x0, y0, x1, y1 = max(x - t, 0), max(y - t, 0), min(x + w + t, width), min(y + h + t, height)
        line = line[y0 - (y - t) : y1 - (y - t), x0 - (x - t) : x1 - (x - t)]
        out[y0:y1, x0:x1][line.view(bool)] = color
    return out


def jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """``[H, W, 3]`` uint8 RGB as JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])  # fmt: skip
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
