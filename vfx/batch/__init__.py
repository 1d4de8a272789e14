"""``vfx batch``: many videos from a manifest, on a local process pool or on Ray (DESIGN.md §9).

>>> from vfx.batch import load_manifest, plan_jobs, run_batch, LocalExecutor  # doctest: +SKIP
>>> plans = plan_jobs(load_manifest("batch.yaml"), resume=True)
>>> outcomes = run_batch(plans, LocalExecutor(), report=Path("batch.report.json"))
"""

from vfx.batch.local_executor import LocalExecutor
from vfx.batch.manifest import Job, Manifest, load_manifest, quick_entries
from vfx.batch.ray_executor import RayExecutor
from vfx.batch.report import JobOutcome
from vfx.batch.runner import default_report_path, exit_code, run_batch
from vfx.batch.validation import JobPlan, plan_jobs

__all__ = [
    "Job",
    "JobOutcome",
    "JobPlan",
    "LocalExecutor",
    "Manifest",
    "RayExecutor",
    "default_report_path",
    "exit_code",
    "load_manifest",
    "plan_jobs",
    "quick_entries",
    "run_batch",
]
