"""Looks without weights (--masks), background jobs and what a correction re-tracks."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.vfx.studio.conftest import live_studio
from vfx.demo.run import write_mask_folders
from vfx.studio.jobs import JobRunner
from vfx.studio.session import StudioSession


def wait_job(live, seconds: float = 600) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = live.call("/api/state")[1]["job"]
        if job and job["state"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_masks_only_studio_previews_renders_and_exports(studio_clip, tmp_path: Path):
    write_mask_folders(studio_clip.masks, tmp_path / "masks")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with live_studio(workspace, studio_clip.video, masks=str(tmp_path / "masks")) as live:
        state = live.call("/api/state")[1]
        assert state["looks_only"]
        # the overlay shows the imported masks
        code, tinted = live.call("/api/frame/3.jpg")
        plain = live.call("/api/frame/3.jpg?plain=1")[1]
        assert code == 200 and tinted != plain
        # a preset preview differs from the frame, and a --set value changes it
        code, blurred = live.call("/api/preview/3.jpg?preset=background-blur")
        assert code == 200 and blurred[:2] == b"\xff\xd8"
        _, blurred_more = live.call("/api/preview/3.jpg?preset=background-blur&set=0.radius=41")
        assert blurred_more != blurred
        code, bad = live.call("/api/preset", {"preset": "background-blur", "set": ["0.nope=1"]})
        assert code == 400 and "nope" in bad["error"]
        # clicking needs SAM 2, and says so
        live.call("/api/objects", {})
        code, click = live.call("/api/objects/1/prompts", {"frame": 0, "point": [5, 5]})
        assert code == 400 and "--masks/--chroma" in click["error"]
        # render: every frame, with the audio
        assert live.call("/api/preset", {"preset": "background-blur"})[0] == 200
        assert live.call("/api/render", {})[0] == 200
        job = wait_job(live)
        assert job["state"] == "done", job
        from vfx.io.reader import open_video

        with open_video(job["result"]["path"]) as reader:
            assert reader.info.frame_count == studio_clip.masks.shape[0]
            assert reader.info.has_audio
        # export png masks: one folder per object, one PNG per frame, the imported masks
        assert live.call("/api/export", {"format": "png"})[0] == 200
        job = wait_job(live)
        assert job["state"] == "done", job
        out = Path(job["result"]["path"])
        first = cv2.imread(str(out / "1" / "00000.png"), cv2.IMREAD_GRAYSCALE)
        assert first is not None
        assert np.mean((first > 127) == studio_clip.masks[0, 0]) > 0.99
        assert live.call("/api/export", {"format": "gif"})[0] == 400


def test_a_running_job_can_be_cancelled_and_only_one_runs():
    runner = JobRunner()

    def slow(job):
        for n in range(1000):
            time.sleep(0.01)
            job.progress(n + 1, 1000)

    job = runner.start("track", slow)
    with pytest.raises(Exception, match="still running"):
        runner.start("render", slow)
    time.sleep(0.05)
    assert runner.cancel()
    assert runner.wait(10).state == "cancelled"
    assert 0 < job.done < 1000
    assert not runner.cancel()  # nothing left to cancel


def test_a_correction_marks_only_its_object_for_tracking_again(studio_clip, tmp_path: Path):
    session = StudioSession(tmp_path / "ws", studio_clip.video)
    for _ in range(2):
        obj = session.add_object()
        session.add_action(obj.id, {"frame": 0, "point": [10.0, 10.0], "label": 1})
    assert session.stale_objects() == [1, 2]
    session.set_tracks({o.id: {"store": "s", "identity": o.identity()}
                        for o in session.current.objects})  # fmt: skip
    assert session.stale_objects() == []
    session.rename(1, "dog")  # a name is not a prompt
    assert session.stale_objects() == []
    session.add_action(2, {"frame": 6, "point": [20.0, 20.0], "label": 0})
    assert session.stale_objects() == [2]
    session.undo(2)
    assert session.stale_objects() == []
    session.add_action(1, {"frame": 4, "leave": True})
    assert session.stale_objects() == [1]
    (obj1,) = [o for o in session.object_prompts() if o.id == 1]
    assert obj1.absent_at(5) and not obj1.absent_at(3)
