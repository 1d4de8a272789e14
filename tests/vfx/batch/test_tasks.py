"""Worker tasks: SAM 2 loads once per worker process, however many prompted jobs it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sam2.build_sam
from vfx.batch.manifest import Job
from vfx.batch.tasks import Task, run_task
from vfx.demo.synthetic import write_scene_video


def test_one_model_load_serves_every_prompted_job_of_a_worker(tmp_path: Path, monkeypatch):
    from sam2.testing import write_random_checkpoint

    checkpoint = write_random_checkpoint(tmp_path / "sam2.1_hiera_tiny.pt", "sam2.1_hiera_tiny")
    builds = []
    real = sam2.build_sam.build_sam2_video_predictor

    def counting(*args, **kwargs):
        builds.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(sam2.build_sam, "build_sam2_video_predictor", counting)
    results = []
    for name in ("a", "b"):
        video = tmp_path / f"{name}.mp4"
        write_scene_video(video, 64, 48, 2, 24, background=None)
        job = Job(index=1, label=name, input=video, output=tmp_path / f"{name}_out.mp4",
                  preset="background-blur", points=("0:20,20",), checkpoint=checkpoint)  # fmt: skip
        results.append(run_task(Task(job)))
    assert [r.error for r in results] == [None, None]
    assert [r.frames for r in results] == [2, 2]
    assert len(builds) == 1  # the second clip (a cache miss too) reused the loaded model


def test_a_task_reports_a_bug_as_one_line_instead_of_raising(tmp_path: Path, monkeypatch):
    import vfx.api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(vfx.api, "render", broken)
    job = Job(index=2, label="x", input=tmp_path / "x.mp4", output=tmp_path / "o.mp4",
              preset="background-blur", chroma="green")  # fmt: skip
    result = run_task(Task(job))
    assert result.error == "ZeroDivisionError: division by zero"


@pytest.mark.parametrize("kind", ["chunk", "job"])
def test_a_retry_removes_what_the_killed_attempt_left(tmp_path: Path, kind: str, monkeypatch):
    import vfx.api

    out = tmp_path / "o.mp4"
    leftover = tmp_path / ".o.mp4.partial-abc123.mp4"
    leftover.write_bytes(b"half a file")
    (tmp_path / ".o.mp4.partial-audio-x").mkdir()
    monkeypatch.setattr(vfx.api, "render", lambda *a, **k: (_ for _ in ()).throw(OSError("stop")))
    job = Job(index=1, label="x", input=tmp_path / "x.mp4", output=out, preset="p", chroma="g")
    task = Task(job) if kind == "job" else Task(job, "chunk", frames=(0, 2), part=out)
    assert run_task(task).error == "OSError: stop"
    assert list(tmp_path.iterdir()) == []


def test_a_started_worker_has_the_render_code_loaded_and_no_torch():
    """Workers load what a render needs once, when they start; a render-only worker never
    imports torch (its import alone costs seconds and memory)."""
    probe = (
        "import sys; from vfx.batch.tasks import prepare_worker; prepare_worker(2); "
        "print(all(m in sys.modules for m in ('vfx.api', 'moviepy', 'vfx.graph')), "
        "'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]
