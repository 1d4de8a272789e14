"""The threaded pipeline keeps order, overlaps stages, bounds memory and surfaces failures."""

from __future__ import annotations

import threading
import time

import pytest

from vfx.rendering.stages import ThreadedStages, parallel_map


def _add(n):
    def stage(items):
        for item in items:
            yield item + n

    return stage


def _pairs(items):
    """A stateful stage with one item of look-ahead: yields (x, next x)."""
    previous = None
    for item in items:
        if previous is not None:
            yield (previous, item)
        previous = item
    if previous is not None:
        yield (previous, None)


def test_stages_apply_in_order_and_keep_item_order():
    with ThreadedStages(range(50), [_add(1), _add(10), _pairs], queue_size=2) as pipe:
        out = list(pipe)
    assert [a for a, _ in out] == list(range(11, 61))
    assert out[-1] == (60, None)
    assert out[0] == (11, 12)


def test_parallel_map_keeps_order_with_uneven_work():
    def slow_for_evens(x):
        time.sleep(0.01 if x % 2 == 0 else 0.0)
        return x * x

    with ThreadedStages(range(20), [parallel_map(slow_for_evens, workers=3)]) as pipe:
        assert list(pipe) == [x * x for x in range(20)]


def test_stages_overlap_in_time():
    def sleepy(items):
        for item in items:
            time.sleep(0.02)
            yield item

    start = time.perf_counter()
    with ThreadedStages(range(10), [sleepy, sleepy, sleepy]) as pipe:
        assert list(pipe) == list(range(10))
    # serial would take 3 * 10 * 20 ms = 0.6 s; overlapped it is about 0.24 s
    assert time.perf_counter() - start < 0.5


def test_queues_bound_how_far_the_source_runs_ahead():
    produced = []

    def source():
        for i in range(1000):
            produced.append(i)
            yield i

    pipe = ThreadedStages(source(), [_add(0)], queue_size=2)
    it = iter(pipe)
    assert next(it) == 0
    time.sleep(0.2)
    # two queues of 2, plus one item held by each of the two threads, plus the one consumed
    assert len(produced) <= 8
    pipe.close()


def test_a_failing_stage_raises_in_the_consumer_and_threads_stop():
    def explode(items):
        for item in items:
            if item == 5:
                raise ValueError("bad frame 5")
            yield item

    before = threading.active_count()
    pipe = ThreadedStages(range(100), [explode, _add(1)])
    with pytest.raises(ValueError, match="bad frame 5"):
        list(pipe)
    pipe.close()
    time.sleep(0.3)
    assert threading.active_count() <= before


def test_closing_early_stops_an_endless_source():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    pipe = ThreadedStages(endless(), [_add(1)])
    it = iter(pipe)
    assert [next(it) for _ in range(3)] == [1, 2, 3]
    pipe.close()
    assert not any(t.is_alive() for t in pipe._threads)


def test_closing_early_closes_the_stage_generators():
    closed = []

    def tracked(items):
        try:
            yield from items
        finally:
            closed.append(True)

    def endless():
        i = 0
        while True:
            yield i
            i += 1

    pipe = ThreadedStages(endless(), [tracked])
    it = iter(pipe)
    next(it)
    pipe.close()
    assert closed == [True]


def test_a_batch_workers_share_of_the_cores_bounds_parallel_steps(monkeypatch):
    """A batch worker given one core smooths on one thread; alone, a render uses what it asks."""
    import os
    import sys

    import cv2

    from vfx.batch.tasks import limit_threads
    from vfx.rendering import stages

    monkeypatch.setattr(stages, "_core_share", None)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    assert stages.parallel_width(2) == 2
    torch = sys.modules.get("torch")
    before = cv2.getNumThreads(), torch.get_num_threads() if torch else 0
    try:
        limit_threads(workers=os.cpu_count() or 1)  # one core each
        assert stages.parallel_width(2) == 1
    finally:
        cv2.setNumThreads(before[0])
        if torch:
            torch.set_num_threads(before[1])


def test_opencv_runs_single_threaded_while_pipelines_run_and_is_restored_after():
    import cv2

    from vfx.rendering.stages import opencv_single_threaded

    before = cv2.getNumThreads()
    with opencv_single_threaded():
        assert cv2.getNumThreads() == 1
        with opencv_single_threaded():  # a second render at the same time
            assert cv2.getNumThreads() == 1
        assert cv2.getNumThreads() == 1  # the first is still running
    assert cv2.getNumThreads() == before
