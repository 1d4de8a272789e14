"""The frame proxy: every frame as a JPEG file, written in the background, held back while a
click is computed; frames served from it match the video."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.vfx.studio.conftest import FRAMES
from vfx.studio.frames import FrameCache, jpeg


def test_the_proxy_holds_every_frame_and_yields_to_clicks(studio_clip, tmp_path: Path):
    cache = FrameCache(studio_clip.video, proxy_root=tmp_path / "proxy")
    proxy = cache.proxy
    assert proxy is not None
    try:
        with cache.interactive():  # a click runs: the proxy waits between two frames
            time.sleep(1.0)
            held = proxy.written
            assert held <= 1
        deadline = time.monotonic() + 120
        while not proxy.done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.done and proxy.written == FRAMES
        assert sorted(p.name for p in proxy.folder.iterdir()) == sorted(
            f"{i}.jpg" for i in range(FRAMES))  # complete files only, no temporaries
        for index in (FRAMES - 1, 0, FRAMES // 2):  # jumps
            data = cache.jpeg(index)
            assert data == (proxy.folder / f"{index}.jpg").read_bytes()
            shown = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
                                 cv2.COLOR_BGR2RGB)  # fmt: skip
            exact = cache.rgb(index)
            error = np.abs(shown.astype(int) - exact).mean()
            other = np.abs(shown.astype(int) - cache.rgb((index + 3) % FRAMES)).mean()
            assert error < 8 and error < other  # this frame (q85 JPEG of a noisy texture)
            assert cache.display_rgb(index) is exact  # decoded frames in the LRU come first
    finally:
        cache.close()
    # a second opening reuses the files
    again = FrameCache(studio_clip.video, proxy_root=tmp_path / "proxy")
    try:
        deadline = time.monotonic() + 30
        while not again.proxy.done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert again.proxy.folder == proxy.folder and again.proxy.done
    finally:
        again.close()


def fake_proxy(root: Path, name: str, size: int, age_s: float) -> Path:
    """Another video's proxy folder holding ``size`` bytes, last used ``age_s`` seconds ago."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "0.jpg").write_bytes(b"\xff" * size)
    stamp = time.time() - age_s
    os.utime(folder, (stamp, stamp))
    return folder


def wait_done(proxy) -> None:
    deadline = time.monotonic() + 120
    while not proxy.done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.done


def test_the_least_recently_used_proxies_make_room_for_the_open_video(
    studio_clip, tmp_path: Path
):
    root = tmp_path / "proxy"
    oldest = fake_proxy(root, "oldest", 40_000, 300)
    older = fake_proxy(root, "older", 40_000, 200)
    recent = fake_proxy(root, "recent", 40_000, 100)
    frames = sum(len(jpeg(frame)) for frame in _frames(studio_clip.video, FRAMES))
    cap = 80_000 + frames  # this video's frames and two other proxies
    cache = FrameCache(studio_clip.video, proxy_root=root, proxy_cap=cap)
    try:
        assert oldest.exists()  # within the cap while this video's proxy is empty
        wait_done(cache.proxy)
        assert not oldest.exists()  # deleted to make room, the least recently used first
        assert older.exists() and recent.exists()
        assert cache.proxy.written == FRAMES and not cache.proxy.capped
    finally:
        cache.close()
    assert sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) <= cap


def test_a_proxy_alone_stops_at_the_cap_and_later_frames_are_decoded(
    studio_clip, tmp_path: Path
):
    root = tmp_path / "proxy"
    sizes = [len(jpeg(frame)) for frame in _frames(studio_clip.video, 4)]
    cap = sum(sizes[:3]) + sizes[3] // 2  # 3 frames, not 4
    cache = FrameCache(studio_clip.video, proxy_root=root, proxy_cap=cap)
    try:
        wait_done(cache.proxy)
        assert cache.proxy.capped and cache.proxy.written == 3
        assert sorted(p.name for p in cache.proxy.folder.iterdir()) == ["0.jpg", "1.jpg", "2.jpg"]
        late = cv2.imdecode(np.frombuffer(cache.jpeg(FRAMES - 1), np.uint8), cv2.IMREAD_COLOR)
        assert late.shape[:2] == (cache.info.height, cache.info.width)  # encoded when shown
    finally:
        cache.close()


def test_the_cap_comes_from_the_environment(studio_clip, tmp_path: Path, monkeypatch):
    from vfx.errors import VfxError

    root = tmp_path / "proxy"
    fake_proxy(root, "big", 3 << 20, 10)
    monkeypatch.setenv("VFX_STUDIO_PROXY_MB", "2")
    cache = FrameCache(studio_clip.video, proxy_root=root)
    try:
        assert not (root / "big").exists() and cache.proxy.cap == 2 << 20
    finally:
        cache.close()
    monkeypatch.setenv("VFX_STUDIO_PROXY_MB", "lots")
    with pytest.raises(VfxError, match="VFX_STUDIO_PROXY_MB"):
        FrameCache(studio_clip.video, proxy_root=root)


def _frames(video: Path, count: int) -> list[np.ndarray]:
    from vfx.io.reader import open_video

    with open_video(video) as reader:
        return [reader.read(i) for i in range(count)]
