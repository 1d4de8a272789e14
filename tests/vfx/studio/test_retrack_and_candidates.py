"""Tracking in the studio with seeded random SAM 2 weights: the predicted-IoU lane, a correction
on a later frame re-tracking only its object from that frame on, and "segment everything"
candidates becoming objects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.vfx.studio.conftest import FRAMES, live_studio
from vfx.masks import MaskletStore
from vfx.prompts.parsing import parse_prompts

CORRECTED = 8


def centre(mask: np.ndarray) -> list[float]:
    """The pixel of ``mask`` ``[H, W]`` bool nearest its centroid, as video (x, y)."""
    ys, xs = np.nonzero(mask)
    k = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))
    return [float(xs[k]) + 0.5, float(ys[k]) + 0.5]


def tracked(studio, obj_id: int) -> tuple[str, list[np.ndarray]]:
    path = studio.session.current.tracks[obj_id]["store"]
    store = MaskletStore.open(path)
    return path, [store.mask_uint8(obj_id, i) for i in range(FRAMES)]


def finished(studio):
    job = studio.jobs.wait(900)
    assert job is not None and job.state == "done", job and job.to_json()
    return job


def test_a_correction_re_tracks_only_its_object_from_its_frame(
    studio_clip, tmp_path: Path, random_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
):
    from vfx.sources import sam2_source
    from vfx.studio.work import Studio, StudioOptions

    truth = studio_clip.masks  # [T, N, H, W]
    studio = Studio(tmp_path / "ws", studio_clip.video,
                    StudioOptions(checkpoint=str(random_checkpoint)))  # fmt: skip
    try:
        for obj_id in (1, 2):
            studio.session.add_object()
            studio.session.add_action(obj_id, {"frame": 0, "point": centre(truth[0, obj_id - 1]),
                                               "label": 1})  # fmt: skip
        studio.start_track()
        finished(studio)
        path1, _ = tracked(studio, 1)
        path2, masks2 = tracked(studio, 2)
        first = studio.timeline()
        for lane in first.values():  # the decoder's predicted IoU on every tracked frame
            assert len(lane["iou"]) == FRAMES
            assert all(isinstance(v, float) and 0.0 <= v <= 1.5 for v in lane["iou"])

        computed: list[tuple[int, list[int]]] = []
        real = sam2_source.track_objects

        def spy(*args, **kwargs):
            for index, masks in real(*args, **kwargs):
                computed.append((index, sorted(masks)))
                yield index, masks

        monkeypatch.setattr(sam2_source, "track_objects", spy)
        # a correction on a later frame, for object 2 only
        studio.session.add_action(2, {"frame": CORRECTED,
                                      "point": centre(truth[CORRECTED, 1]), "label": 0})
        assert studio.session.stale_objects() == [2]
        job = studio.start_track()
        finished(studio)
        assert job.result["from_frame"] == {"2": CORRECTED}
        # only object 2, only from the corrected frame on, was computed
        assert computed == [(i, [2]) for i in range(CORRECTED, FRAMES)]
        assert job.total == job.done == FRAMES - CORRECTED
        assert tracked(studio, 1)[0] == path1  # object 1 untouched
        new_path, new_masks = tracked(studio, 2)
        assert new_path != path2
        for i in range(CORRECTED):  # frames before the correction stay
            np.testing.assert_array_equal(new_masks[i], masks2[i])
        assert any(not np.array_equal(new_masks[i], masks2[i])
                   for i in range(CORRECTED, FRAMES))  # fmt: skip
        second = studio.timeline()["2"]
        for lane in ("score", "iou", "area"):
            assert second[lane][:CORRECTED] == first["2"][lane][:CORRECTED]
        assert second["iou"][CORRECTED:] != first["2"]["iou"][CORRECTED:]

        # a correction before every other prompt of the object: the whole video again
        computed.clear()
        studio.session.add_action(1, {"frame": 0, "point": centre(truth[0, 1]), "label": 0})
        job = studio.start_track()
        finished(studio)
        assert job.result["from_frame"] == {}
        assert sorted(i for i, _ in computed) == list(range(FRAMES))
    finally:
        studio.close()


def test_segment_everything_candidates_become_objects(
    studio_clip, tmp_path: Path, confident_checkpoint: Path
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with live_studio(workspace, studio_clip.video, checkpoint=str(confident_checkpoint)) as live:
        code, data = live.call("/api/candidates")
        assert code == 200 and data == {"frame": None, "candidates": []}
        code, data = live.call("/api/candidates/add", {"id": 1})
        assert code == 400 and "Segment everything" in data["error"]
        code, _ = live.call("/api/segment", {"frame": 3})
        assert code == 200
        assert finished(live.studio).result == {"frame": 3,
                                                "count": len(live.studio._candidates[1])}
        code, listing = live.call("/api/candidates")
        assert listing["frame"] == 3 and listing["candidates"]
        found = live.studio._candidates[1]
        areas = [c["area"] for c in listing["candidates"]]
        assert [c["id"] for c in listing["candidates"]] == list(range(1, len(found) + 1))
        assert areas == sorted(areas, reverse=True)
        code, picture = live.call("/api/candidates.jpg")
        assert code == 200 and picture[:2] == b"\xff\xd8"
        assert picture != live.call("/api/frame/3.jpg?plain=1")[1]

        # a candidate by number, then one by a click inside it
        code, data = live.call("/api/candidates/add", {"id": 1})
        assert code == 200 and data["added"] == 1
        assert data["objects"][0]["name"] == "candidate 1"
        shown = live.studio.view_source().masks_at(3)
        np.testing.assert_array_equal(shown[1] > 0.5, found[0].mask)
        last = found[-1]
        x, y = centre(last.mask)
        covering = [c for c in found if c.mask[int(y), int(x)]]
        code, data = live.call("/api/candidates/add", {"point": [x, y]})
        assert code == 200 and data["added"] == 2
        smallest = min(covering, key=lambda c: c.area)
        np.testing.assert_array_equal(live.studio.view_source().masks_at(3)[2] > 0.5,
                                      smallest.mask)  # fmt: skip
        code, data = live.call("/api/candidates/add", {"id": len(found) + 1})
        assert code == 400 and "no candidate" in data["error"]

        # saved prompts carry the masks as PNGs beside the file, for `vfx render --prompts`
        code, data = live.call("/api/save-prompts", {})
        objects = {o.id: o for o in parse_prompts(prompts_file=data["prompts_path"])}
        (prompt,) = objects[1].prompts
        assert prompt.frame == 3
        np.testing.assert_array_equal(prompt.mask, found[0].mask)
        # a restart brings the mask prompts back
    with live_studio(workspace, None, checkpoint=str(confident_checkpoint)) as again:
        np.testing.assert_array_equal(again.studio.view_source().masks_at(3)[1] > 0.5,
                                      found[0].mask)  # fmt: skip
