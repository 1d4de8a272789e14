"""The Ray executor on a local Ray with 2 CPUs: isolation, chunks, a killed worker retried."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from worker_killer import WorkerKiller

from vfx.batch import Manifest, RayExecutor, plan_jobs, run_batch

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module (starting one takes seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_mixed_jobs_on_ray(media, tmp_path: Path):
    jobs = [
        {"input": "clips/a.mp4", "output": str(tmp_path / "a.mp4"), "preset": "background-blur",
         "masks": "masks/a"},
        {"input": "clips/long.mp4", "output": str(tmp_path / "long.mp4"),
         "preset": "background-blur", "masks": "masks/long", "chunk_frames": 16},
        {"input": "clips/bad.mp4", "output": str(tmp_path / "bad.mp4"), "preset": "background-blur",
         "chroma": "green"},
    ]  # fmt: skip
    executor = RayExecutor()
    assert executor.slots == 2
    outcomes = run_batch(plan_jobs(Manifest(jobs, media.folder)), executor)
    assert [o.status for o in outcomes] == ["done", "done", "failed"], [o.error for o in outcomes]
    assert [o.frames for o in outcomes[:2]] == [24, 48]
    with av.open(str(tmp_path / "long.mp4")) as container:
        assert container.streams.video[0].frames == 48 and container.streams.audio
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "long.mp4"]


def test_ray_retries_a_task_whose_worker_was_killed(media, tmp_path: Path):
    target = tmp_path / "long.mp4"
    jobs = [{"input": "clips/long.mp4", "output": str(target), "preset": "background-blur",
             "masks": "masks/long"}]  # fmt: skip
    killer = WorkerKiller(target)
    killer.start()
    (outcome,) = run_batch(plan_jobs(Manifest(jobs, media.folder)), RayExecutor())
    killer.join(1)
    assert killer.killed is not None, "the test never saw the job running"
    assert outcome.status == "done", outcome.error
    with av.open(str(target)) as container:
        assert container.streams.video[0].frames == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]  # nothing partial
