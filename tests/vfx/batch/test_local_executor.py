"""The local executor: failures isolated, a killed worker's job retried, resume, progress."""

from __future__ import annotations

import io
import json
import os
import signal
import time
from pathlib import Path

import av
from worker_killer import WorkerKiller

from vfx.batch import LocalExecutor, Manifest, plan_jobs, run_batch
from vfx.batch.report import Progress


def _blur(clip: str, output: Path, **source: str) -> dict[str, str]:
    """A manifest job: background-blur of ``clips/<clip>.mp4`` to ``output`` (``source``:
    ``masks=`` or ``chroma=``)."""
    return {"input": f"clips/{clip}.mp4", "output": str(output), "preset": "background-blur",
            **source}  # fmt: skip


def test_a_job_failing_while_it_runs_does_not_stop_the_others(media, tmp_path: Path):
    crowded = tmp_path / "crowded"
    crowded.mkdir()
    (crowded / "notes.txt").write_text("not a frame")  # a PNG sequence may not replace this
    jobs = [_blur("a", crowded, chroma="green"), _blur("b", tmp_path / "b.mp4", chroma="green")]
    report, stream = tmp_path / "report.json", io.StringIO()
    plans = plan_jobs(Manifest(jobs, media.folder), force=True)  # passes the checks, fails to run
    first, second = run_batch(plans, LocalExecutor(workers=2), report=report, stream=stream)
    assert first.status == "failed" and "holds other files" in first.error
    assert second.status == "done" and second.frames == 24 and second.seconds > 0
    assert (tmp_path / "b.mp4").is_file() and (crowded / "notes.txt").is_file()
    data = json.loads(report.read_text())
    assert [job["status"] for job in data["jobs"]] == ["failed", "done"]
    assert data["summary"] == {**data["summary"], "jobs": 2, "done": 1, "failed": 1, "skipped": 0}
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("vfx batch: 0/2 done, 0 failed, 2 running")
    assert "2/2" not in lines[-1] and "1/2 done, 1 failed, 0 running" in lines[-1]


def _run_killing_the_long_job(media, tmp_path: Path, executor: LocalExecutor) -> tuple[list, Path]:
    """Run a long job beside a short one while :class:`WorkerKiller` kills the long job's
    worker; returns the outcomes and the long job's output path."""
    target = tmp_path / "long.mp4"
    jobs = [
        _blur("long", target, masks="masks/long"),
        _blur("a", tmp_path / "a.mp4", chroma="green"),
    ]
    killer = WorkerKiller(target)
    killer.start()
    outcomes = run_batch(plan_jobs(Manifest(jobs, media.folder)), executor)
    killer.join(1)
    assert killer.killed is not None, "the test never saw the job running"
    return outcomes, target


def test_a_killed_worker_is_replaced_and_its_job_retried(media, tmp_path: Path):
    outcomes, target = _run_killing_the_long_job(media, tmp_path, LocalExecutor(workers=2))
    assert [o.status for o in outcomes] == ["done", "done"], [o.error for o in outcomes]
    with av.open(str(target)) as container:
        assert container.streams.video[0].frames == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "long.mp4"]  # nothing partial


def test_progress_line_and_eta():
    progress = Progress(total=4, slots=2, stream=None)
    assert progress.eta() is None and "ETA ?" in progress.line()
    progress.done, progress.failed, progress.running = 1, 1, 2
    assert progress.eta() is not None and progress.eta() >= 0
    assert progress.line().startswith("vfx batch: 1/4 done, 1 failed, 2 running, ETA 00:00:")


def test_a_job_whose_worker_dies_more_often_than_retries_fails_alone(media, tmp_path: Path):
    outcomes, _ = _run_killing_the_long_job(media, tmp_path, LocalExecutor(2, retries=0))
    assert outcomes[0].status == "failed"
    assert outcomes[0].error == "its worker died in each of 1 attempt(s) (killed or out of memory)"
    assert outcomes[1].status in ("done", "failed")  # in flight with the killed one: lost too
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_worker_killed_before_its_first_task_does_not_stop_the_batch(media, tmp_path: Path):
    """Workers start early (while the jobs are checked); one that dies then breaks the pool
    before any task is on it, and the batch goes on with a new pool."""
    executor = LocalExecutor(workers=2)
    executor.start(2)
    pool = executor._start()
    pid = pool.submit(os.getpid).result()
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # the pool notices the death on its own thread
        if pool._broken:
            break
        time.sleep(0.05)
    assert pool._broken
    manifest = Manifest([_blur("b", tmp_path / "b.mp4", chroma="green")], media.folder)
    outcomes = run_batch(plan_jobs(manifest), executor)
    assert [o.status for o in outcomes] == ["done"], [o.error for o in outcomes]
