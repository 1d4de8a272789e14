"""Run checked jobs on an executor, isolate failures, join chunks, and write the report.

:func:`run_batch` submits every ready job's first task and reacts to results as
they stream back: a whole job ends; a track task releases the chunks of its
render; the last chunk of a render triggers the join. One job's failure only
ends that job. On Ctrl-C the jobs in flight are reported as interrupted, and
no partial output is left behind.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from vfx.batch.chunk_join import chunk_folder, chunk_paths, join_chunks
from vfx.batch.report import DONE, FAILED, SKIPPED, JobOutcome, Progress, report_data, write_report
from vfx.batch.tasks import CHUNK, JOB, TRACK, Task, TaskResult, remove_partials
from vfx.batch.validation import JobPlan
from vfx.errors import VfxError


class Executor(Protocol):
    """What :func:`run_batch` needs of an executor (local pool or Ray)."""

    name: str
    slots: int

    @property
    def busy(self) -> bool: ...

    def start(self, tasks: int) -> None: ...

    def submit(self, task: Task) -> None: ...

    def next_result(self) -> TaskResult: ...

    def close(self) -> None: ...


@dataclass
class _Running:
    """A job in flight: its chunks still out, and the frames written so far."""

    plan: JobPlan
    started: float = field(default_factory=time.perf_counter)
    chunks_left: int = 0
    frames: int = 0


def run_batch(
    plans: list[JobPlan],
    executor: Executor,
    *,
    report: Path | None = None,
    stream: TextIO | None = None,
) -> list[JobOutcome]:
    """Run every ready job of ``plans`` on ``executor``; returns one outcome per plan.

    Args:
        plans: from :func:`vfx.batch.validation.plan_jobs`.
        executor: runs the tasks; closed before this returns.
        report: where the JSON report goes (``None``: nowhere).
        stream: where progress lines go (``None``: nowhere).

    Raises:
        KeyboardInterrupt: after reporting, when the batch was interrupted.
    """
    started = time.perf_counter()
    outcomes: dict[int, JobOutcome] = {}
    for plan in plans:
        if plan.error is not None:
            outcomes[plan.index] = _outcome(plan, FAILED, plan.error)
        elif plan.skip:
            outcomes[plan.index] = _outcome(plan, SKIPPED)
    ready = [plan for plan in plans if plan.index not in outcomes]
    progress = Progress(len(ready), executor.slots, stream)
    running: dict[int, _Running] = {}

    def finish(state: _Running, error: str | None) -> None:
        plan = state.plan
        seconds = time.perf_counter() - state.started
        status = FAILED if error is not None else DONE
        outcomes[plan.index] = _outcome(plan, status, error, seconds, state.frames)
        del running[plan.index]
        if error is None:
            progress.done += 1
        else:
            progress.failed += 1
        progress.running = min(len(running), progress.slots)
        progress.show()

    try:
        for plan in ready:
            running[plan.index] = _Running(plan, chunks_left=_submit_first(plan, executor))
        progress.running = min(len(running), progress.slots)
        progress.show()
        while executor.busy:
            result = executor.next_result()
            state = running.get(result.task.job.index)
            if state is None:  # a chunk of a job that already failed
                continue
            state.frames += result.frames
            if result.error is not None:
                finish(state, result.error)
            elif result.task.kind == TRACK:
                state.chunks_left = _submit_chunks(state.plan, executor, result.store)
            elif result.task.kind == CHUNK:
                state.chunks_left -= 1
                if state.chunks_left == 0:
                    finish(state, _join(state.plan))
            else:
                finish(state, None)
    except KeyboardInterrupt:
        progress.stream = None  # one line per job would follow; the report has them
        for state in list(running.values()):
            finish(state, "interrupted before it finished; run again with --resume")
        raise
    finally:
        executor.close()
        _clean_up(plans)
        if report is not None:
            ordered = [outcomes[plan.index] for plan in plans if plan.index in outcomes]
            write_report(report, report_data(ordered, time.perf_counter() - started, executor.name))
    return [outcomes[plan.index] for plan in plans]


def _outcome(
    plan: JobPlan, status: str, error: str | None = None, seconds: float = 0.0, frames: int = 0
) -> JobOutcome:
    job = plan.job
    output = None
    if job is not None:
        first = job.output if job.output is not None else job.export and job.export.output
        output = None if first is None else str(first)
    return JobOutcome(
        index=plan.index,
        input=plan.label,
        output=output,
        status=status,
        error=error,
        seconds=round(seconds, 3),
        frames=frames if status == DONE else None,
    )


def _submit_first(plan: JobPlan, executor: Executor) -> int:
    """A whole job, or the start of a chunked render: its tracking, or its chunks.

    Returns the number of chunks submitted.
    """
    job = plan.job
    assert job is not None
    if not plan.chunks:
        executor.submit(Task(job, JOB))
    elif job.tracks:
        executor.submit(Task(job, TRACK))
    else:
        return _submit_chunks(plan, executor, job.masks)
    return 0


def _submit_chunks(plan: JobPlan, executor: Executor, masks: str | None) -> int:
    job = plan.job
    assert job is not None and job.output is not None
    parts = chunk_paths(job.output, len(plan.chunks))
    parts[0].parent.mkdir(parents=True, exist_ok=True)
    for frames, part in zip(plan.chunks, parts, strict=True):
        executor.submit(Task(job, CHUNK, frames=frames, part=part, masks=masks))
    return len(parts)


def _join(plan: JobPlan) -> str | None:
    """Join a finished chunked render; the error line, or ``None``."""
    job = plan.job
    assert job is not None and job.output is not None
    assert plan.frame_count is not None and plan.fps is not None  # set for every checked job
    parts = chunk_paths(job.output, len(plan.chunks))
    try:
        join_chunks(parts, job.output, source=job.input, frame_count=plan.frame_count, fps=plan.fps)
    except VfxError as exc:
        return exc.message
    return None


def _clean_up(plans: list[JobPlan]) -> None:
    """Remove chunk folders, and temporaries left by attempts that were interrupted or killed."""
    for plan in plans:
        job = plan.job
        if job is None or plan.error is not None or plan.skip:
            continue
        if job.output is not None and plan.chunks:
            shutil.rmtree(chunk_folder(job.output), ignore_errors=True)
        for path in job.outputs:
            remove_partials(path)


def exit_code(outcomes: list[JobOutcome]) -> int:
    """0 when no job failed, else 1."""
    return int(any(outcome.status == FAILED for outcome in outcomes))


def default_report_path(manifest: Path | None) -> Path:
    """Beside the manifest (``NAME.report.json``), or ``batch-report.json`` here."""
    if manifest is None:
        return Path("batch-report.json")
    return manifest.with_name(f"{manifest.stem}.report.json")
