"""What executors run: one task per job, or per chunk of a chunked render, in a worker process.

:func:`run_task` is the one function a worker calls. It never raises for a job's
own problem: the error comes back in the :class:`TaskResult`, so one job's
failure never stops the others. SAM 2 loads once per worker process and serves
every job in it with the same model options (:func:`worker_tracker`).
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from vfx.batch.manifest import Job
from vfx.errors import VfxError
from vfx.sources.tracking import Tracker

if TYPE_CHECKING:
    from vfx.masks import MaskletStore

JOB, TRACK, CHUNK = "job", "track", "chunk"
"""Task kinds: a whole job; the tracking before a chunked render; one chunk of a render."""


@dataclass(frozen=True)
class Task:
    """One unit of work for a worker.

    Attributes:
        job: the job it belongs to.
        kind: :data:`JOB`, :data:`TRACK` or :data:`CHUNK`.
        frames: a chunk's ``(start, stop)`` frame range.
        part: where a chunk is written.
        masks: the masklet store a chunk renders from (after a track task), else the job's own.
        attempt: 1 for the first run, counted up by executors that retry.
    """

    job: Job
    kind: str = JOB
    frames: tuple[int, int] | None = None
    part: Path | None = None
    masks: str | None = None
    attempt: int = 1

    @property
    def needs_model(self) -> bool:
        """Whether the task may run SAM 2 (it then asks for a GPU where there are some)."""
        return self.kind != CHUNK and self.job.tracks

    @property
    def outputs(self) -> list[Path]:
        """The files or folders the task writes."""
        if self.kind == CHUNK:
            assert self.part is not None
            return [self.part]
        return [] if self.kind == TRACK else self.job.outputs


@dataclass(frozen=True)
class TaskResult:
    """How a task ended: ``error`` is ``None`` on success.

    Attributes:
        task: the task.
        error: one line naming the problem, or ``None``.
        frames: frames rendered or exported.
        seconds: wall time in the worker.
        store: the masklet store a track task produced.
    """

    task: Task
    error: str | None = None
    frames: int = 0
    seconds: float = 0.0
    store: str | None = None


def run_task(task: Task) -> TaskResult:
    """Run ``task``; a job's problem comes back as ``error``, never as an exception."""
    started = time.perf_counter()
    for path in task.outputs:
        remove_partials(path)  # left by an attempt whose worker was killed
    try:
        if task.kind == CHUNK:
            assert task.part is not None
            frames, store = _render(task.job, task.masks, task.frames, task.part), None
        elif task.kind == TRACK:
            frames, store = 0, str(_track(task.job).path)
        else:
            frames, store = _run_job(task.job), None
    except VfxError as exc:
        return TaskResult(task, exc.message, seconds=time.perf_counter() - started)
    except Exception as exc:  # a bug, but still one job's: report it and go on
        line = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line (ffmpeg's are many)
        return TaskResult(task, line, seconds=time.perf_counter() - started)
    return TaskResult(task, None, frames, time.perf_counter() - started, store)


def run_task_on_cores(task: Task, cores: int) -> TaskResult:
    """:func:`run_task` in a worker that gives each task ``cores`` cores (a Ray task's CPU
    request), so that the render's parallel steps do not ask for more threads than that."""
    from vfx.rendering.stages import share_cores

    share_cores(cores)
    return run_task(task)


def remove_partials(path: Path) -> None:
    """Delete the temporaries an interrupted write of ``path`` left beside it."""
    if not path.parent.is_dir():
        return
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.partial-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _run_job(job: Job) -> int:
    """A whole job: the render and/or the export; returns the frames written."""
    frames = 0
    for path in job.outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
    if job.output is not None:
        frames = _render(job, job.masks, None, job.output)
    if job.export is not None:
        frames = max(frames, _export(job))
    return frames


def _prompts(job: Job) -> list | None:
    from vfx.prompts.parsing import parse_prompts

    return parse_prompts(job.points, job.boxes, job.prompts) or None


def _model_kwargs(job: Job) -> dict:
    """``tracker=`` (and ``auto=``) for :func:`vfx.render`/:func:`vfx.track` when the job tracks."""
    if not job.tracks:
        return {}
    kwargs: dict = {"tracker": worker_tracker(job.model, job.checkpoint, job.device, job.precision)}
    if job.auto:
        kwargs["auto"] = job.auto
    return kwargs


def _render(job: Job, masks: str | None, frames: tuple[int, int] | None, output: Path) -> int:
    from vfx.api import render

    tracked = masks == job.masks  # a chunk after a track task renders from its store instead
    result = render(
        job.input,
        output,
        preset=job.preset,
        overrides=job.overrides,
        prompts=_prompts(job) if tracked else None,
        masks=masks,
        chroma=job.chroma,
        force=job.overwrite or frames is not None,
        progress=False,
        chunk=frames,
        audio=frames is None,
        **(_model_kwargs(job) if tracked else {}),
    )
    return result.frames


def _track(job: Job) -> MaskletStore:
    from vfx.api import track

    return track(job.input, _prompts(job) or [], progress=False, **_model_kwargs(job))


def _export(job: Job) -> int:
    from vfx.mask_formats import export_masks

    assert job.export is not None
    masks = str(_track(job).path) if job.tracks else job.masks  # a store folder, or imported
    options = dict(job.export.options)
    objects = options.pop("objects", None)
    if isinstance(objects, int):
        objects = [objects]
    result = export_masks(
        masks,
        job.export.output,
        job.export.format,
        chroma=job.chroma,
        video=job.input,
        objects=objects,
        force=job.overwrite,
        **options,
    )
    return result.frame_count


def worker_tracker(
    model: str | None, checkpoint: Path | None, device: str, precision: str
) -> Tracker:
    """SAM 2 for these options, loaded at most once in this process (on the first cache miss)."""
    from vfx.sources.tracking import choose_model

    choice = choose_model(model, checkpoint)
    return _loaded_once(choice.name, str(choice.checkpoint), choice.identity, device, precision)


@functools.cache
def _loaded_once(name: str, checkpoint: str, identity: str, device: str, precision: str) -> Tracker:
    from vfx.sources.tracking import ModelChoice, sam2_tracker

    choice = ModelChoice(name, Path(checkpoint), identity)
    tracker = sam2_tracker(choice, device, progress=False, precision=precision)
    return replace(tracker, load=functools.cache(tracker.load))


def prepare_worker(workers: int) -> None:
    """Set up a worker process of a pool of ``workers``: share the cores, load the render code.

    Run once when the process starts (a pool's initializer), so that the imports a render
    needs (moviepy, the effects, the mask smoothers: about a second) are done before the
    first task arrives rather than inside it.
    """
    limit_threads(workers)
    import vfx.api
    import vfx.graph
    import vfx.io.moviepy_pipe
    import vfx.masks.temporal_smoothing
    import vfx.sources.imported  # noqa: F401


def limit_threads(workers: int) -> None:
    """Share the machine's cores among ``workers`` processes (called once in each worker).

    Torch reads ``OMP_NUM_THREADS`` when it is first imported, which a render-only
    worker never does.
    """
    import cv2

    from vfx.rendering.stages import share_cores

    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    share_cores(threads)
    cv2.setNumThreads(threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
