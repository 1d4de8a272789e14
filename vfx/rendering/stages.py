"""Overlapping pipeline stages: each stage in its own thread, joined by bounded queues.

A stage is a generator transformer ``Iterator[A] -> Iterator[B]``, so stateful
stages (a temporal filter that needs look-ahead) are as easy to write as plain
per-item maps. Decoding, mask work, effects and encoding spend their time in
PyAV, OpenCV, numpy and ffmpeg, which release the GIL, so threads overlap them.
Bounded queues keep memory flat: a fast stage waits for a slow one instead of
buffering the video. An exception in any stage reaches the consumer with its
traceback, and closing the pipeline stops every thread.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import cv2

Stage = Callable[[Iterator[Any]], Iterator[Any]]

_DONE = object()
_POLL_S = 0.1
_core_share: int | None = None  # cores this process may use, when it shares the machine


class _Failure:
    """An exception raised in a stage, carried downstream to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _put(out: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item``, waiting while the queue is full; False once the pipeline stops."""
    while not stop.is_set():
        try:
            out.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _drain(source: queue.Queue, stop: threading.Event) -> Iterator[Any]:
    """Yield items from ``source`` until the upstream stage finishes; re-raise its failure."""
    while True:
        try:
            item = source.get(timeout=_POLL_S)
        except queue.Empty:
            if stop.is_set():
                return
            continue
        if item is _DONE:
            return
        if isinstance(item, _Failure):
            raise item.exc
        yield item


def _pump(items: Iterable[Any], out: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in items:
            if not _put(out, item, stop):
                return
        _put(out, _DONE, stop)
    except BaseException as exc:
        _put(out, _Failure(exc), stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # a stopped generator releases what it holds (decoders, worker pools)


class ThreadedStages:
    """Run ``source`` and each stage in its own thread; iterate to get the last stage's items.

    Args:
        source: the first items (e.g. decoded frames); iterated in a thread.
        stages: generator transformers applied in order, one thread each.
        queue_size: items buffered between two stages.

    Use as a context manager (or call :meth:`close`) so that an early exit stops
    the threads.
    """

    def __init__(self, source: Iterable[Any], stages: Sequence[Stage], queue_size: int = 4) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        out: queue.Queue = queue.Queue(maxsize=queue_size)
        self._spawn(source, out)
        for stage in stages:
            downstream: queue.Queue = queue.Queue(maxsize=queue_size)
            self._spawn(stage(_drain(out, self._stop)), downstream)
            out = downstream
        self._out = out
        for thread in self._threads:
            thread.start()

    def _spawn(self, items: Iterable[Any], out: queue.Queue) -> None:
        thread = threading.Thread(target=_pump, args=(items, out, self._stop), daemon=True)
        self._threads.append(thread)

    def __iter__(self) -> Iterator[Any]:
        return _drain(self._out, self._stop)

    def close(self) -> None:
        """Stop every stage and wait for its thread."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)

    def __enter__(self) -> ThreadedStages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parallel_map(fn: Callable[[Any], Any], workers: int) -> Stage:
    """A stage applying ``fn`` to each item on ``workers`` threads, keeping the input order."""

    def stage(items: Iterator[Any]) -> Iterator[Any]:
        if workers <= 1:
            for item in items:
                yield fn(item)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vfx-stage") as pool:
            pending: deque = deque()
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    return stage


def share_cores(cores: int) -> None:
    """Give this process's pipelines ``cores`` cores (a batch worker's share of the machine):
    :func:`parallel_width` then never asks for more threads than that."""
    global _core_share
    _core_share = max(1, cores)


def parallel_width(wanted: int) -> int:
    """``wanted`` threads, or fewer when this process has a smaller share of the cores.

    Steps split over threads to use idle cores cost CPU when there are none: two batch
    workers on 2 cores, each smoothing on 2 threads, rendered chunks 10% slower (measured,
    ``benchmarks/batch_scaling.py``) than with one smoothing thread each.
    """
    return max(1, min(wanted, _core_share or wanted))


_opencv_lock = threading.Lock()
_opencv_users = 0
_opencv_threads = 0  # OpenCV's thread count before the first user


@contextmanager
def opencv_single_threaded() -> Iterator[None]:
    """Turn OpenCV's own thread pool off while a pipeline runs; the last one to end restores it.

    A pipeline already runs its stages, smoothers and effects on threads of its own.
    OpenCV splitting each call over its pool as well wakes and parks its workers for
    calls of a millisecond or two, which costs CPU that the encoder needs: measured
    here (2 cores, 1080p), mask smoothing took 50-58 ms of CPU per frame with the pool
    and 42-48 ms without, and its frames came out faster without it.
    """
    global _opencv_users, _opencv_threads
    with _opencv_lock:
        if _opencv_users == 0:
            _opencv_threads = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _opencv_users += 1
    try:
        yield
    finally:
        with _opencv_lock:
            _opencv_users -= 1
            if _opencv_users == 0:
                cv2.setNumThreads(_opencv_threads)
