"""The frame proxy: every frame as a JPEG file, written in the background, held back while a
click is computed; frames served from it match the video."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from tests.vfx.studio.conftest import FRAMES
from vfx.studio.frames import FrameCache


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
