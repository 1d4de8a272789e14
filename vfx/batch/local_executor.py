"""The local executor: a process pool sized to the machine.

Each worker process keeps what it loaded (SAM 2 above all, see
:func:`vfx.batch.tasks.worker_tracker`) for every task it runs. A worker that
dies (killed, out of memory) breaks a :class:`~concurrent.futures.ProcessPoolExecutor`
and every task in flight with it; the pool is then started again and those
tasks are retried, up to ``retries`` times each.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from vfx.batch.tasks import Task, TaskResult, prepare_worker, run_task


def default_workers() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)


class LocalExecutor:
    """Runs tasks on a local process pool; :meth:`next_result` streams them back as they end.

    Args:
        workers: processes in the pool (default: one per core).
        retries: how often a task whose worker died is run again.
    """

    name = "local"

    def __init__(self, workers: int | None = None, retries: int = 2) -> None:
        self.slots = workers or default_workers()
        self.retries = retries
        self._pool: cf.ProcessPoolExecutor | None = None
        self._pending: dict[cf.Future, Task] = {}
        self._given_up: list[TaskResult] = []  # tasks whose workers died too often

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                self.slots,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=prepare_worker,
                initargs=(self.slots,),
            )
        return self._pool

    def start(self, tasks: int) -> None:
        """Start the workers ``tasks`` tasks will use, now: they load the render code while
        the jobs are checked."""
        pool = self._start()
        for _ in range(min(tasks, self.slots)):
            pool.submit(int)  # a no-op: each submit while no worker is idle starts one

    def submit(self, task: Task) -> None:
        """Queue ``task`` (on a new pool if a worker died before any task was given to it)."""
        try:
            future = self._start().submit(run_task, task)
        except BrokenProcessPool:
            assert self._pool is not None
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            future = self._start().submit(run_task, task)
        self._pending[future] = task

    @property
    def busy(self) -> bool:
        """Whether tasks are queued or running, or results wait to be taken."""
        return bool(self._pending or self._given_up)

    def next_result(self) -> TaskResult:
        """Wait for the next task to end and return its result."""
        while not self._given_up:
            done, _ = cf.wait(self._pending, return_when=cf.FIRST_COMPLETED)
            future = next(iter(done))
            task = self._pending.pop(future)
            try:
                return future.result()
            except BrokenProcessPool:
                self._restart(task)
        return self._given_up.pop()

    def _restart(self, broken: Task) -> None:
        """A worker died: start a new pool and resubmit every unfinished task once more.

        Retries overwrite: the job's outputs did not exist when it was checked (or ``--force``
        was given), so an output there now is one an earlier attempt wrote.
        """
        tasks = [broken, *self._pending.values()]
        self._pending.clear()
        assert self._pool is not None
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        for task in tasks:
            if task.attempt > self.retries:
                attempts = f"in each of {task.attempt} attempt(s)"
                message = f"its worker died {attempts} (killed or out of memory)"
                self._given_up.append(TaskResult(task, message))
                continue
            # the broken pool may have lost the result of a task that wrote its output
            job = replace(task.job, overwrite=True)
            self.submit(replace(task, job=job, attempt=task.attempt + 1))

    def close(self) -> None:
        """Stop the pool; queued tasks are cancelled, running ones end with their workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
