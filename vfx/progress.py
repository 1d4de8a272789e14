"""What a long command tells the user while it works: the phase it is in, and an honest ETA.

:class:`Progress` prints a line as each phase starts (``loading model``, ``reading
video``, ``encoding frame 0``) so nothing runs silently, then a counter for the
per-frame work. The first frames of a tracker are much slower than the rest
(kernels compile, caches fill), so an average from the start swings wildly;
:class:`EtaEstimator` skips a warm-up, then measures the rate over a sliding
window of recent steps, and says ``estimating…`` until it has that window.

On a terminal the counter rewrites one line; elsewhere (a log, a pipe) it prints
a line at most every ``interval`` seconds, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

ESTIMATING = "estimating…"


def format_duration(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class EtaEstimator:
    """Remaining time from the steady-state rate of the last ``window`` steps.

    Args:
        total: steps in all.
        warmup: steps ignored at the start (their time is not representative).
        window: steps the rate is measured over; no estimate until this many
            steps after the warm-up are done.
    """

    def __init__(self, total: int, warmup: int = 2, window: int = 5) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.total = total
        self.warmup = warmup
        self.window = window
        self._marks: deque[tuple[int, float]] = deque(maxlen=window + 1)  # (done, time)
        self.done = 0

    def update(self, done: int, now: float) -> None:
        """Record that ``done`` steps are finished at time ``now`` (seconds, any clock)."""
        self.done = done
        if done >= self.warmup:
            self._marks.append((done, now))

    def seconds_per_step(self) -> float | None:
        """The steady-state seconds per step, or ``None`` while still estimating."""
        if len(self._marks) < 2 or self._marks[-1][0] - self._marks[0][0] < self.window:
            return None
        (first, start), (last, end) = self._marks[0], self._marks[-1]
        return (end - start) / (last - first)

    def remaining(self) -> float | None:
        """Seconds left, or ``None`` while still estimating."""
        rate = self.seconds_per_step()
        return None if rate is None else rate * max(0, self.total - self.done)

    def text(self) -> str:
        """``ETA m:ss`` or ``estimating…``."""
        left = self.remaining()
        return ESTIMATING if left is None else f"ETA {format_duration(left)}"


class Progress:
    """Phase lines and a per-frame counter on ``stream`` (stderr by default).

    Args:
        enabled: print nothing when False (``--quiet``, ``progress=False``).
        stream: where to write.
        clock: seconds, monotonic (injectable for tests).
        interval: seconds between counter lines when ``stream`` is not a terminal.
    """

    def __init__(
        self,
        enabled: bool = True,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 5.0,
    ) -> None:
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.interval = interval
        self._live = False  # a counter line is on screen without a newline

    def _tty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def _line(self, text: str) -> None:
        if self._live:
            self.stream.write("\n")
            self._live = False
        self.stream.write(f"vfx: {text}\n")
        self.stream.flush()

    def phase(self, text: str) -> None:
        """Say that a phase starts (``loading model sam2.1_hiera_tiny``)."""
        if self.enabled:
            self._line(f"{text}…")

    def note(self, text: str) -> None:
        """A fact worth a line of its own (where the masks came from, how fast it ran)."""
        if self.enabled:
            self._line(text)

    def counter(self, label: str, total: int, unit: str = "frame") -> StepCounter:
        """A counter for ``total`` steps of per-``unit`` work, with an :class:`EtaEstimator`."""
        return StepCounter(self, label, total, unit)


class StepCounter:
    """``tracking 12/96 frames, 0.41 s/frame, ETA 0:34``; made by :meth:`Progress.counter`."""

    def __init__(self, progress: Progress, label: str, total: int, unit: str) -> None:
        self.progress = progress
        self.label = label
        self.unit = unit
        self.eta = EtaEstimator(total)
        self.started = progress.clock()
        self._last_print = -float("inf")
        self.done = 0

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more as finished."""
        self.done += steps
        now = self.progress.clock()
        self.eta.update(self.done, now)
        progress = self.progress
        if not progress.enabled:
            return
        text = self.status()
        if progress._tty():
            progress.stream.write(f"\rvfx: {text}\033[K")
            progress.stream.flush()
            progress._live = True
        elif now - self._last_print >= progress.interval or self.done == self.eta.total:
            progress._line(text)
            self._last_print = now

    def status(self) -> str:
        """The counter's current line (without the ``vfx:`` prefix)."""
        rate = self.eta.seconds_per_step()
        speed = "" if rate is None else f", {rate:.2f} s/{self.unit}"
        left = "done" if self.done >= self.eta.total else self.eta.text()
        return f"{self.label} {self.done}/{self.eta.total} {self.unit}s{speed}, {left}"

    def seconds(self) -> float:
        """Seconds since the counter started."""
        return self.progress.clock() - self.started

    def seconds_per_step(self) -> float:
        """Measured seconds per step over the whole run (0 before any step)."""
        return self.seconds() / self.done if self.done else 0.0
