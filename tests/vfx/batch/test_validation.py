"""Every job is checked before any runs; a job that fails its checks fails alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from vfx.batch.manifest import Manifest
from vfx.batch.validation import plan_jobs, supports_auto


def _plans(media, jobs: list[dict], **options):
    return plan_jobs(Manifest(jobs, media.folder), **options)


def _job(out: Path, **keys) -> dict:
    return {"input": "clips/a.mp4", "output": str(out), "preset": "background-blur",
            "chroma": "green", **keys}  # fmt: skip


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"input": "clips/missing.mp4"}, "does not exist"),
        ({"input": "clips/bad.mp4"}, "not a video"),
        ({"preset": "no-such-preset"}, "unknown preset 'no-such-preset'"),
        ({"set": ["0.radius=-5"]}, "radius"),
        ({"chroma": None, "point": "0:500,20"}, r"outside the 160x96 frame"),
        ({"chroma": None, "point": "30:10,20"}, "beyond the last frame"),
        ({"masks": "masks/a"}, "different mask sources"),
        ({"chroma": None}, "no mask source"),
        ({"chroma": "purple-ish"}, "purple-ish"),
        ({"chroma": None, "masks": "masks/long"}, "masks"),
        ({"output": "out.avi"}, "cannot tell the output format"),
        ({"output": "frames/", "chunk_frames": 8}, "chunk_frames joins video files"),
        ({"output": None}, "neither output"),
        ({"export": {"format": "gif", "output": "x"}}, "unknown mask format 'gif'"),
        ({"export": {"format": "vace", "output": "x", "sides": "crop"}}, "export sides"),
        ({"chroma": None, "auto": "biggest"}, "auto 'biggest' is not understood"),
    ],
)
def test_each_check_fails_only_its_job(media, tmp_path: Path, keys: dict, message: str):
    bad = {k: v for k, v in _job(tmp_path / "bad.mp4", **keys).items() if v is not None}
    plans = _plans(media, [_job(tmp_path / "good.mp4"), bad])
    assert plans[0].error is None and plans[0].frame_count == 24
    assert plans[1].error is not None
    assert message.lower() in plans[1].error.lower() or __import__("re").search(
        message, plans[1].error
    ), plans[1].error
    assert "\n" not in plans[1].error


def test_prompted_jobs_need_a_checkpoint_before_anything_runs(media, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VFX_CHECKPOINTS", str(tmp_path / "none"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    (plan,) = _plans(media, [_job(tmp_path / "a.mp4", chroma=None, point="0:10,10")])
    assert plan.error is not None and "download" in plan.error


def test_colliding_outputs_fail_the_later_job(media, tmp_path: Path):
    same = tmp_path / "same.mp4"
    plans = _plans(media, [
        _job(same),
        _job(same, input="clips/b.mp4"),
        _job(media.folder / "clips" / "b.mp4"),                      # writes over an input
        _job(tmp_path / "x.mp4", export={"format": "png", "output": str(tmp_path / "x.mp4")}),
    ])  # fmt: skip
    assert plans[0].error is None
    assert "also job 1's output" in plans[1].error
    assert "is job 2's input" in plans[2].error
    assert "also job 4's output" in plans[3].error


def test_existing_outputs_resume_and_force(media, tmp_path: Path):
    done = tmp_path / "done.mp4"
    done.write_bytes(b"finished earlier")
    jobs = [_job(done), _job(tmp_path / "new.mp4", input="clips/b.mp4")]
    plain = _plans(media, jobs)
    assert "already exists; pass --resume" in plain[0].error
    resumed = _plans(media, jobs, resume=True)
    assert resumed[0].skip and resumed[0].error is None and not resumed[1].skip
    forced = _plans(media, jobs, force=True)
    assert not forced[0].skip and forced[0].error is None and forced[0].job.overwrite


def test_chunks_cover_every_frame_once(media, tmp_path: Path):
    (plan,) = _plans(media, [_job(tmp_path / "l.mp4", input="clips/long.mp4", chroma=None,
                                  masks="masks/long", chunk_frames=20)])  # fmt: skip
    assert plan.error is None
    assert plan.chunks == ((0, 20), (20, 40), (40, 48))
    assert "3 chunks" in plan.describe()


def test_unwritable_output_folder(media, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    (plan,) = _plans(media, [_job(blocker / "sub" / "o.mp4")])
    assert "is a file" in plan.error


def test_auto_is_checked_against_this_version(media, tmp_path: Path):
    (plan,) = _plans(media, [_job(tmp_path / "o.mp4", chroma=None, auto="0:largest")])
    if supports_auto():
        assert plan.error is None or "checkpoint" in plan.error or "download" in plan.error
    else:
        assert "cannot choose objects automatically" in plan.error
