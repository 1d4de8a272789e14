"""Two workers asking for the same masklets at once: one tracks, the other waits and reuses it."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import numpy as np

from vfx.io.reader import open_video
from vfx.masks import MaskletStore
from vfx.prompts.parsing import parse_prompts
from vfx.sources.tracking import Tracker, track_cached


def _slow_tracker(log: Path) -> Tracker:
    """A TEST DOUBLE for SAM 2: logs each load, then yields a square per frame, slowly."""

    def load():
        with open(log, "a") as handle:
            handle.write("load\n")

        def run(info, prompts):
            for index in range(info.frame_count):
                time.sleep(0.05)  # long enough for the other worker to arrive mid-tracking
                mask = np.zeros((info.height, info.width), np.float32)
                mask[10:40, 10 + index : 40 + index] = 1.0
                yield index, {1: mask}

        return run

    return Tracker(model="slow-fake", load=load, settings={})


def _track(video: str, cache: str, log: str, result: str) -> None:
    with open_video(video) as reader:
        info = reader.info
    store = track_cached(info, parse_prompts(points=["0:20,20"]), _slow_tracker(Path(log)),
                         Path(cache))  # fmt: skip
    Path(result).write_text(str(store.path))


def test_concurrent_workers_track_a_clip_once(media, tmp_path: Path):
    video = media.folder / "clips/a.mp4"
    cache, log = tmp_path / "cache", tmp_path / "loads.log"
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_track, args=(str(video), str(cache), str(log), str(tmp_path / n)))
        for n in ("r1", "r2")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert log.read_text().count("load") == 1
    paths = {(tmp_path / n).read_text() for n in ("r1", "r2")}
    assert len(paths) == 1
    store = MaskletStore.open(paths.pop())
    assert store.frame_count == 24
    assert store.masks_at(23)[1][20, 40] > 0.5  # the last frame is whole
    assert not list(cache.glob(".*.partial-*"))
