"""``vfx batch`` end to end: a mixed manifest, its report and exit code, --dry-run, --resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import pytest

from tests.e2e.conftest import FRAMES, Clip, run_vfx


def _manifest(masks: Path, collide: bool = True) -> str:
    return f"""
defaults: {{preset: background-blur, masks: {masks}}}
jobs:
  - {{input: clips/a.mp4, output: out/a.mp4}}
  - {{input: clips/b.mp4, output: out/b.mov, preset: cutout-alpha}}
  - {{input: clips/a.mp4, export: {{format: npz, output: out/a_masks.npz}}}}
  - {{input: clips/a.mp4, output: out/chunked.mp4, chunk_frames: 10}}
  - {{input: clips/bad.mp4, output: out/bad.mp4}}
  - {{input: clips/b.mp4, output: {"out/a.mp4" if collide else "out/b.mp4"}}}
  - {{input: clips/b.mp4, output: out/later.mp4, masks: later_masks}}
"""


@pytest.fixture
def batch_folder(clip: Clip, tmp_path: Path) -> Path:
    """clips/a.mp4 and b.mp4 (the e2e clip), clips/bad.mp4 (not a video), jobs.yaml."""
    (tmp_path / "clips").mkdir()
    for name in ("a", "b"):
        shutil.copy(clip.video, tmp_path / "clips" / f"{name}.mp4")
    (tmp_path / "clips" / "bad.mp4").write_bytes(b"\x00garbage" * 200)
    (tmp_path / "jobs.yaml").write_text(_manifest(clip.masks_dir))
    return tmp_path


def _statuses(report: Path) -> list[str]:
    return [job["status"] for job in json.loads(report.read_text())["jobs"]]


def test_mixed_manifest_isolates_failures_and_reports(batch_folder: Path, capsys):
    code, out, err = run_vfx(["batch", "jobs.yaml", "--workers", "2"], capsys)
    assert code == 1
    report = batch_folder / "jobs.report.json"
    data = json.loads(report.read_text())
    assert _statuses(report) == ["done", "done", "done", "done", "failed", "failed", "failed"]
    jobs = data["jobs"]
    assert [job["frames"] for job in jobs[:4]] == [FRAMES] * 4
    assert all(job["seconds"] > 0 and job["error"] is None for job in jobs[:4])
    assert "not a video" in jobs[4]["error"]
    assert "also job 1's output" in jobs[5]["error"]
    assert "later_masks" in jobs[6]["error"]
    assert data["summary"]["done"] == 4 and data["summary"]["failed"] == 3
    failures = [line for line in err.splitlines() if " failed: " in line]
    assert [line.split(" (")[0] for line in failures] == [
        "vfx batch: job 5", "vfx batch: job 6", "vfx batch: job 7"
    ]  # fmt: skip
    assert "Traceback" not in err and "4 done, 3 failed, 0 skipped" in out
    with av.open(str(batch_folder / "out" / "b.mov")) as container:
        assert container.streams.video[0].codec_context.pix_fmt.startswith("yuva")  # alpha kept
    with av.open(str(batch_folder / "out" / "chunked.mp4")) as container:
        assert container.streams.video[0].frames == FRAMES and container.streams.audio
    assert sorted(p.name for p in (batch_folder / "out").iterdir()) == [
        "a.mp4", "a_masks.npz", "b.mov", "chunked.mp4"
    ]  # fmt: skip


def test_resume_skips_finished_jobs_and_reruns_failed_ones(batch_folder: Path, clip: Clip, capsys):
    run_vfx(["batch", "jobs.yaml"], capsys)
    finished = {p.name: p.stat().st_mtime_ns for p in (batch_folder / "out").iterdir()}
    shutil.copytree(clip.masks_dir, batch_folder / "later_masks")  # fix job 7
    (batch_folder / "jobs.yaml").write_text(_manifest(clip.masks_dir, collide=False))
    code, out, _ = run_vfx(["batch", "jobs.yaml", "--resume"], capsys)
    assert code == 1  # job 5's input is still corrupt
    statuses = _statuses(batch_folder / "jobs.report.json")
    assert statuses == ["skipped"] * 4 + ["failed", "done", "done"]
    for name, mtime in finished.items():
        assert (batch_folder / "out" / name).stat().st_mtime_ns == mtime  # not rewritten
    assert (batch_folder / "out" / "later.mp4").is_file()
    assert "2 done, 1 failed, 4 skipped" in out


def test_dry_run_prints_the_plan_and_writes_nothing(batch_folder: Path, capsys):
    code, out, _ = run_vfx(["batch", "jobs.yaml", "--dry-run"], capsys)
    assert code == 1  # some jobs fail their checks
    lines = out.splitlines()
    assert len(lines) == 7
    assert lines[3].startswith("job 4 (clips/a.mp4): render background-blur")
    assert "3 chunks" in lines[3]
    assert "FAILS CHECKS" in lines[4] and "FAILS CHECKS" in lines[5]
    assert not (batch_folder / "out").exists() and not (batch_folder / "jobs.report.json").exists()


def test_quick_form_over_a_glob(batch_folder: Path, clip: Clip, capsys):
    code, out, err = run_vfx(
        ["batch", "clips/[ab].mp4", "--preset", "background-blur", "--masks",
         str(clip.masks_dir), "-o", "quick/{stem}.mp4", "--report", "r.json", "--quiet"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "2 done, 0 failed" in out and err == ""
    assert sorted(p.name for p in (batch_folder / "quick").iterdir()) == ["a.mp4", "b.mp4"]
    assert _statuses(batch_folder / "r.json") == ["done", "done"]


def test_ray_executor_without_ray_says_how_to_install(batch_folder: Path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    code, _, err = run_vfx(["batch", "jobs.yaml", "--executor", "ray"], capsys)
    assert code == 1
    assert err.strip() == (
        "vfx: error: --executor ray needs Ray, which is not installed; "
        "pip install 'vfx[ray]' (or pip install ray)"
    )


def test_ctrl_c_loses_only_the_jobs_in_flight_and_resume_finishes(clip: Clip, tmp_path: Path):
    import os
    import signal
    import subprocess
    import sys
    import time

    names = [f"clip{n:02d}" for n in range(12)]  # more than the workers finish in a moment
    jobs = "".join(
        f"  - {{input: {clip.video}, output: out/{name}.mp4, masks: {clip.masks_dir}}}\n"
        for name in names
    )
    (tmp_path / "jobs.yaml").write_text(f"defaults: {{preset: background-blur}}\njobs:\n{jobs}")
    command = [sys.executable, "-c", "from vfx.cli import main; main()", "batch", "jobs.yaml"]
    batch = subprocess.Popen(
        command, cwd=tmp_path, start_new_session=True, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert batch.stderr is not None
    assert f"0/{len(names)} done" in batch.stderr.readline()  # submitted; workers starting
    # Ctrl-C as soon as the first job has finished: the others are queued or in flight.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = batch.stderr.readline()
        if not line or f"1/{len(names)} done" in line or f"2/{len(names)} done" in line:
            break
    os.killpg(batch.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    rest = batch.communicate(timeout=120)[1]
    assert batch.returncode == 130 and "interrupted" in rest
    report = json.loads((tmp_path / "jobs.report.json").read_text())
    assert all(job["status"] == "done" or "interrupted" in job["error"] for job in report["jobs"])
    assert any(job["status"] != "done" for job in report["jobs"])
    out = tmp_path / "out"
    assert not out.exists() or [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    done = subprocess.run([*command, "--resume", "--quiet"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.mp4" for n in names]
