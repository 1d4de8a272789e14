"""The batch report (DESIGN.md §9) and the progress line.

The report is JSON::

    {"jobs": [{"index", "input", "output", "status": "done"|"failed"|"skipped",
               "error", "seconds", "frames"}],
     "summary": {"jobs", "done", "failed", "skipped", "seconds", "executor"}}

``output`` is the render's output, else the export's. The progress line counts
jobs done, failed and running, with an ETA from the average job so far.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from vfx.io.atomic import atomic_output

DONE, FAILED, SKIPPED = "done", "failed", "skipped"


@dataclass
class JobOutcome:
    """One job's line in the report."""

    index: int
    input: str
    output: str | None
    status: str
    error: str | None = None
    seconds: float = 0.0
    frames: int | None = None

    def failure_line(self) -> str:
        """The one line printed for a failed job."""
        return f"vfx batch: job {self.index} ({self.input}) failed: {self.error}"


def report_data(outcomes: list[JobOutcome], seconds: float, executor: str) -> dict:
    """The report as JSON-ready data."""
    counts = {
        status: sum(o.status == status for o in outcomes) for status in (DONE, FAILED, SKIPPED)
    }
    return {
        "jobs": [asdict(o) for o in sorted(outcomes, key=lambda o: o.index)],
        "summary": {
            "jobs": len(outcomes),
            **counts,
            "seconds": round(seconds, 3),
            "executor": executor,
        },
    }


def write_report(path: Path, data: dict) -> None:
    """Write the report atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


class Progress:
    """Prints ``done/failed/running`` and the ETA whenever a job starts or ends.

    Args:
        total: jobs that will run (skipped and failed-at-check jobs not counted).
        slots: jobs that can run at once.
        stream: where the lines go (stderr), or ``None`` for silence.
    """

    def __init__(self, total: int, slots: int, stream: TextIO | None) -> None:
        self.total = total
        self.slots = max(1, slots)
        self.stream = stream
        self.done = self.failed = self.running = 0
        self.started = time.perf_counter()

    def eta(self) -> float | None:
        """Seconds left, from the mean time per finished job; ``None`` before the first."""
        finished = self.done + self.failed
        if finished == 0:
            return None
        per_job = (time.perf_counter() - self.started) / finished
        return per_job * (self.total - finished)

    def line(self) -> str:
        """The progress line."""
        eta = self.eta()
        left = "?" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
        return (
            f"vfx batch: {self.done}/{self.total} done, {self.failed} failed, "
            f"{self.running} running, ETA {left}"
        )

    def show(self) -> None:
        """Print the line (when a stream was given)."""
        if self.stream is not None:
            print(self.line(), file=self.stream, flush=True)
