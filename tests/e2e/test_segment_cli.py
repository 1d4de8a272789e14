"""`vfx segment` and `--auto` through the CLI, on the generated clip with random weights.

The weights are :func:`sam2.testing.confident_state_dict` ones, so candidates pass the official
default thresholds. The fast tests shrink the point grid (``--points-per-side 8`` or 4, and a
generator with a 4x4 default for ``--auto``); the slow one uses the real defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as coco_mask

import sam2.automatic_mask_generator as amg
from tests.e2e.conftest import HEIGHT, WIDTH, Clip, file_digest, run_vfx
from vfx.masks import MaskletStore
from vfx.masks.cache_inventory import AUTO_CANDIDATES_FOLDER

SHORT_FRAMES = 6


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-frame version of the e2e scene (tracking it is the slow part of `--auto` tests)."""
    from vfx.demo.synthetic import write_scene_video

    video = tmp_path_factory.mktemp("short") / "short.mp4"
    write_scene_video(video, WIDTH, HEIGHT, SHORT_FRAMES, 24, objects=2, background=None)
    return video


@pytest.fixture
def checkpoint(confident_checkpoint: Path) -> Path:
    return confident_checkpoint


class _SmallGrid(amg.SAM2AutomaticMaskGenerator):
    """The generator with a 4x4 default grid (what `--auto` builds, made cheap for CI), counting
    its ``generate`` calls."""

    calls = 0

    def __init__(self, model, points_per_side=4, **kwargs):
        super().__init__(model, points_per_side=points_per_side, **kwargs)

    def generate(self, image):
        type(self).calls += 1
        return super().generate(image)


def _segment(video: Path, checkpoint: Path, folder: Path, capsys, *extra: str) -> dict:
    sheet, listing = folder / "candidates.png", folder / "candidates.json"
    code, out, err = run_vfx(["segment", str(video), "--frame", "0", "-o", str(sheet),
                              "--json", str(listing), "--checkpoint", str(checkpoint),
                              *extra], capsys)  # fmt: skip
    assert code == 0, err
    assert f"wrote {sheet}" in out and "candidates on frame 0" in out
    return json.loads(listing.read_text())


def _decode(entry: dict) -> np.ndarray:
    rle = {"size": entry["rle"]["size"], "counts": entry["rle"]["counts"].encode()}
    return coco_mask.decode(rle).astype(bool)


def test_segment_writes_a_numbered_sheet_and_json(clip: Clip, checkpoint, tmp_path, capsys):
    before = file_digest(clip.video)
    data = _segment(clip.video, checkpoint, tmp_path, capsys, "--points-per-side", "8")
    assert file_digest(clip.video) == before
    assert (data["frame"], data["width"], data["height"]) == (0, WIDTH, HEIGHT)
    candidates = data["candidates"]
    assert len(candidates) >= 2
    assert [c["id"] for c in candidates] == list(range(1, len(candidates) + 1))
    areas = [c["area"] for c in candidates]
    assert areas == sorted(areas, reverse=True)
    for entry in candidates:
        mask = _decode(entry)
        assert mask.shape == (HEIGHT, WIDTH) and mask.sum() == entry["area"]
        ys, xs = np.nonzero(mask)
        assert entry["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()]
        assert 0.8 < entry["score"] <= 1.0 and 0.95 <= entry["stability"] <= 1.0
    sheet = cv2.imread(str(tmp_path / "candidates.png"))
    assert sheet is not None
    assert sheet.shape[1] > 2 * WIDTH  # two panels, enlarged so the numbers read
    # the outlines are drawn: the left panel differs from the plain, enlarged frame
    written = sorted(p.name for p in tmp_path.iterdir() if p.name != "cache")
    assert written == ["candidates.json", "candidates.png"]
    # the candidates were cached for `--auto` (the masklet cache root, VFX_CACHE_DIR here)
    assert len(list((tmp_path / "cache" / AUTO_CANDIDATES_FOLDER).glob("*.npz"))) == 1


def test_segment_refuses_a_frame_outside_the_video(clip: Clip, checkpoint, tmp_path, capsys):
    out = tmp_path / "c.png"
    code, _, err = run_vfx(["segment", str(clip.video), "--frame", "99", "-o", str(out),
                            "--checkpoint", str(checkpoint)], capsys)  # fmt: skip
    assert code == 1
    assert "frame 99 is outside this 24-frame video; use --frame 0 to 23" in err
    assert "Traceback" not in err and not out.exists()


def _cached_store(tmp_path: Path) -> MaskletStore:
    stores = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert len(stores) == 1
    return MaskletStore.open(stores[0])


def _render_auto(video: Path, checkpoint: Path, out: Path, capsys) -> None:
    code, _, err = run_vfx(["render", str(video), "-o", str(out), "--preset",
                            "background-blur", "--auto", "largest", "--checkpoint",
                            str(checkpoint), "--quiet"], capsys)  # fmt: skip
    assert code == 0, err
    assert out.stat().st_size > 0


def _auto_tracks_the_largest_candidate(video, checkpoint, tmp_path, capsys, grid_args):
    """Render with ``--auto largest`` twice (the second from the caches: same file), then
    `vfx segment` the auto frame with the same settings: the tracked mask of object 1 there is
    its largest candidate."""
    out, again = tmp_path / "out.mp4", tmp_path / "again.mp4"
    _render_auto(video, checkpoint, out, capsys)
    _render_auto(video, checkpoint, again, capsys)
    assert file_digest(again) == file_digest(out)
    data = _segment(video, checkpoint, tmp_path, capsys, *grid_args)
    largest = _decode(data["candidates"][0])
    store = _cached_store(tmp_path)
    assert store.object_ids == [1] and store.names[1] == "auto1"
    tracked = store.masks_at(0)[1] > 0.5  # [H, W] on the auto frame
    # The tracker keeps a mask prompt at its 256x256 mask resolution: edges may move a pixel.
    iou = np.logical_and(tracked, largest).sum() / np.logical_or(tracked, largest).sum()
    assert iou > 0.95, iou
    return store


@pytest.mark.timeout(1800)  # segmenting + tracking; minutes on a loaded machine
def test_render_auto_largest_tracks_the_largest_candidate(
    short_clip: Path, checkpoint, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(amg, "SAM2AutomaticMaskGenerator", _SmallGrid)
    monkeypatch.setattr(_SmallGrid, "calls", 0)
    store = _auto_tracks_the_largest_candidate(
        short_clip, checkpoint, tmp_path, capsys, ("--points-per-side", "4")
    )
    assert store.frame_count == SHORT_FRAMES
    # Only the first render ran the generator: the second render and `vfx segment` (same
    # settings) found its candidates in the cache.
    assert _SmallGrid.calls == 1
    assert len(list((tmp_path / "cache" / AUTO_CANDIDATES_FOLDER).glob("*.npz"))) == 1


def test_auto_with_other_prompts_is_refused(clip: Clip, tmp_path, capsys):
    out = tmp_path / "o.mp4"
    code, _, err = run_vfx(["render", str(clip.video), "-o", str(out), "--preset",
                            "background-blur", "--auto", "largest", "--point", "0:10,10"],
                           capsys)  # fmt: skip
    assert code == 1 and "--auto picks the objects itself" in err
    code, _, err = run_vfx(["track", str(clip.video), "-o", str(tmp_path / "m"), "--auto",
                            "0:ids:0"], capsys)  # fmt: skip
    assert code == 1 and "candidate numbers start at 1" in err
    assert not out.exists() and not (tmp_path / "m").exists()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_render_auto_with_the_official_defaults(short_clip: Path, checkpoint, tmp_path, capsys):
    _auto_tracks_the_largest_candidate(short_clip, checkpoint, tmp_path, capsys, ())
