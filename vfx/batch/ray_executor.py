"""The Ray executor: one Ray task per job (or chunk), on a local Ray or a cluster.

Ray schedules the tasks; each asks for one CPU, and a tracking task for one GPU
when the cluster has GPUs. A task whose worker process dies is run again by
Ray (``max_retries``); a job's own failure is not an exception here (see
:func:`vfx.batch.tasks.run_task`), so it is not retried. Results stream back as
tasks finish. Outputs are paths: on a cluster every node must see the same files
(a shared file system).
"""

from __future__ import annotations

from typing import Any

from vfx.batch.tasks import Task, TaskResult, run_task_on_cores
from vfx.errors import VfxError

INSTALL_HINT = "pip install 'vfx[ray]' (or pip install ray)"
TASK_CPUS = 1
"""CPUs each task asks Ray for (and the render in it uses)."""


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`VfxError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise VfxError(
            f"--executor ray needs Ray, which is not installed; {INSTALL_HINT}"
        ) from None
    return ray


class RayExecutor:
    """Runs tasks as Ray tasks; :meth:`next_result` returns them as they finish.

    Args:
        address: a cluster (``auto``, ``HOST:6379`` or ``ray://HOST:10001``); ``None``
            starts a local Ray (or uses the one this process already started).
        num_cpus: CPUs of a local Ray (default: all).
        retries: how often Ray re-runs a task whose worker died.
    """

    name = "ray"

    def __init__(
        self, address: str | None = None, num_cpus: int | None = None, retries: int = 2
    ) -> None:
        ray = import_ray()
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            try:
                ray.init(
                    address=address,
                    num_cpus=num_cpus if address is None else None,
                    include_dashboard=False,
                    log_to_driver=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a local Ray"
                raise VfxError(
                    f"cannot start or reach {where} ({exc}); check --ray-address"
                ) from None
        resources = ray.cluster_resources()
        self.slots = max(1, int(resources.get("CPU", 1)))
        self._gpus = resources.get("GPU", 0) > 0
        self._remote = ray.remote(max_retries=retries)(run_task_on_cores)
        self._pending: dict[Any, Task] = {}

    def start(self, tasks: int) -> None:
        """Nothing to do: Ray started in the constructor, and starts its workers itself."""

    def submit(self, task: Task) -> None:
        """Send ``task`` to Ray with its resource request."""
        options: dict[str, float] = {"num_cpus": TASK_CPUS}
        if task.needs_model and self._gpus:
            options["num_gpus"] = 1
        self._pending[self._remote.options(**options).remote(task, TASK_CPUS)] = task

    @property
    def busy(self) -> bool:
        """Whether tasks are queued or running."""
        return bool(self._pending)

    def next_result(self) -> TaskResult:
        """Wait for the next task to end and return its result."""
        done, _ = self._ray.wait(list(self._pending), num_returns=1)
        task = self._pending.pop(done[0])
        try:
            return self._ray.get(done[0])
        except self._ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return TaskResult(task, f"the Ray task failed after its retries ({first})")

    def close(self) -> None:
        """Cancel what is still pending; shut Ray down if this executor started it."""
        for ref in self._pending:
            self._ray.cancel(ref, force=True)
        self._pending.clear()
        if self._owned:
            self._ray.shutdown()
