"""Phases and an honest ETA while tracking, driven by a FAKE SLOW TRACKER on a fake clock.

The tracker here is a test double: its first frames are slow (as SAM 2's are: the model
warms up) and the rest steady. The ETA must say "estimating…" until it has a steady-state
window, then stay near the truth instead of swinging with the slow start.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from vfx.demo.synthetic import write_scene_video
from vfx.io.reader import open_video
from vfx.progress import ESTIMATING, EtaEstimator, Progress, format_duration
from vfx.prompts.parsing import parse_prompts
from vfx.sources.tracking import Tracker, track_cached

FRAMES = 40
SLOW, STEADY = 8.0, 0.5  # seconds per frame: the first two frames, then the rest


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def slow_tracker(clock: FakeClock, phases: Progress) -> Tracker:
    """Test double: reports its phases, spends fake time per frame, yields empty masks."""

    def load():
        phases.phase("loading model fake")
        clock.now += 12.0

        def run(info, prompts):
            phases.phase("reading video")
            for index in range(info.frame_count):
                clock.now += SLOW if index < 2 else STEADY
                yield index, {obj.id: np.zeros((info.height, info.width), np.float32)
                              for obj in prompts}

        return run

    return Tracker(model="slow-fake", load=load)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    write_scene_video(path, 64, 48, FRAMES, 24, objects=1, audio=False)
    return path


def test_phases_print_as_they_start_and_the_eta_does_not_lie(video: Path, tmp_path: Path):
    clock, out = FakeClock(), io.StringIO()
    progress = Progress(stream=out, clock=clock, interval=0.0)
    with open_video(video) as reader:
        info = reader.info
    track_cached(info, parse_prompts(points=["0:20,20"]), slow_tracker(clock, progress),
                 tmp_path / "cache", progress=progress)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[0] == "vfx: loading model fake…"
    assert lines[1] == "vfx: reading video…"
    counters = [line for line in lines if line.startswith("vfx: tracking ")]
    assert len(counters) == FRAMES
    # "estimating…" until the warm-up (2 frames) and a 5-frame window are done
    assert all(ESTIMATING in line for line in counters[:6])
    for done, line in enumerate(counters[7:-1], start=8):
        assert "ETA" in line, line
        eta = line.rsplit("ETA ", 1)[1]
        minutes, seconds = map(int, eta.split(":"))
        truth = (FRAMES - done) * STEADY
        assert abs(minutes * 60 + seconds - truth) <= 1, (line, truth)
        assert f"{STEADY:.2f} s/frame" in line
    assert counters[-1].endswith("done")
    assert "masks cached in" in lines[-1] and str(tmp_path / "cache") in lines[-1]


def test_a_naive_average_would_have_lied():
    """What tqdm shows at frame 8 (average from the start) is far off; ours is exact."""
    estimator = EtaEstimator(FRAMES)
    now = 0.0
    for done in range(1, 9):
        now += SLOW if done <= 2 else STEADY
        estimator.update(done, now)
    naive = now / 8 * (FRAMES - 8)
    assert estimator.remaining() == pytest.approx((FRAMES - 8) * STEADY)
    assert naive > 2 * estimator.remaining()


def test_second_run_says_it_reused_the_store(video: Path, tmp_path: Path):
    clock = FakeClock()
    quiet = Progress(enabled=False, stream=io.StringIO(), clock=clock)
    prompts = parse_prompts(points=["0:20,20"])
    with open_video(video) as reader:
        info = reader.info
    first = track_cached(info, prompts, slow_tracker(clock, quiet), tmp_path / "c", progress=quiet)
    out = io.StringIO()
    again = track_cached(info, prompts, slow_tracker(clock, quiet), tmp_path / "c",
                         progress=Progress(stream=out))  # fmt: skip
    assert again.path == first.path
    assert out.getvalue() == f"vfx: reused tracking from {first.path}\n"


def test_terminal_output_rewrites_one_line():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock, out = FakeClock(), Tty()
    counter = Progress(stream=out, clock=clock).counter("tracking", 3)
    for _ in range(3):
        clock.now += 1
        counter.advance()
    assert out.getvalue().count("\rvfx: tracking") == 3
    assert "\n" not in out.getvalue()


@pytest.mark.parametrize("seconds,text", [(0, "0:00"), (73, "1:13"), (6353, "1:45:53")])
def test_format_duration(seconds: float, text: str):
    assert format_duration(seconds) == text
