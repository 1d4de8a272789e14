"""Long work (tracking, rendering, exporting) off the request threads, one job at a time, with
progress the page reads over server-sent events and a cancel button.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vfx.errors import VfxError


class Cancelled(Exception):
    """Raised inside a job when the user pressed Cancel."""


@dataclass
class Job:
    """One piece of background work and where it stands.

    Attributes:
        kind: ``track``, ``render`` or ``export``.
        state: ``running``, ``done``, ``failed`` or ``cancelled``.
        done, total: progress in frames (``total`` 0 while unknown).
        message: a line for the page (the error, or what was produced).
        result: what the job returned (a path, ...), JSON-ready.
    """

    kind: str
    id: int = field(default_factory=itertools.count(1).__next__)
    state: str = "running"
    done: int = 0
    total: int = 0
    message: str = ""
    result: Any = None
    started: float = field(default_factory=time.monotonic)
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def progress(self, done: int, total: int | None = None) -> None:
        """Report ``done`` of ``total`` frames; raises :class:`Cancelled` once cancelled."""
        if self.cancel_event.is_set():
            raise Cancelled
        self.done = done
        if total is not None:
            self.total = total

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "state": self.state, "done": self.done,
                "total": self.total, "message": self.message, "result": self.result}  # fmt: skip


class JobRunner:
    """Runs one :class:`Job` at a time on its own thread; :attr:`current` is the latest job."""

    def __init__(self) -> None:
        self.current: Job | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self.current is not None and self.current.state == "running"

    def start(self, kind: str, work: Callable[[Job], Any]) -> Job:
        """Start ``work(job)`` in the background; refused while another job runs."""
        with self._lock:
            running = self.current
            if running is not None and running.state == "running":
                raise VfxError(f"{running.kind} is still running; wait for it or press Cancel")
            job = self.current = Job(kind)
        threading.Thread(target=self._run, args=(job, work), name=f"studio-{kind}",
                         daemon=True).start()  # fmt: skip
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
            job.state = "done"
        except Cancelled:
            job.state, job.message = "cancelled", f"{job.kind} cancelled"
        except VfxError as exc:
            job.state, job.message = "failed", exc.message
        except Exception as exc:  # shown on the page instead of dying silently in a thread
            traceback.print_exc()
            job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"

    def cancel(self) -> bool:
        """Ask the running job to stop at its next frame; False when none runs."""
        job = self.current
        if job is None or job.state != "running":
            return False
        job.cancel_event.set()
        return True

    def wait(self, timeout: float | None = None) -> Job | None:
        """Block until the current job ends (for scripts and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.busy and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.02)
        return self.current
