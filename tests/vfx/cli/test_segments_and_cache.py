"""Trying a segment first (--start/--end), and the masklet cache a user can see.

Tracking here uses a TEST DOUBLE (``fake_tracker``) that yields the scene's exact masks,
so the cache, segments and exports are tested without model weights.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

import vfx
from vfx.cli import cli
from vfx.demo.synthetic import write_scene_video
from vfx.io.reader import open_video
from vfx.masks import MaskletStore
from vfx.prompts.parsing import parse_prompts
from vfx.sources.tracking import Tracker

W, H, T, FPS = 64, 48, 24, 24


def fake_tracker(masks: np.ndarray, calls: list) -> Tracker:
    """Test double: yields the known masks, of the segment it is asked for."""

    def load():
        def run(info, prompts, frames=None):
            calls.append(None if frames is None else frames.as_list())
            start, stop = (0, info.frame_count) if frames is None else (frames.start, frames.stop)
            for t in range(start, stop):
                yield t, {obj.id: masks[t, obj.id - 1].astype(np.float32) for obj in prompts}

        return run

    return Tracker(model="fake", load=load)


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VFX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    masks = write_scene_video(tmp_path / "clip.mp4", W, H, T, FPS, objects=1, background=None)
    return Path("clip.mp4"), masks  # relative, as a user types it


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return float(sum(p.duration or 0 for p in container.demux(stream)) * stream.time_base)


def test_render_a_segment_trims_the_audio_and_states_seconds_per_frame(scene, tmp_path: Path):
    video, masks = scene
    vfx.render(video, "full.mp4", preset="background-blur", masks=None,
               prompts=parse_prompts(points=["0:20,20"]), tracker=fake_tracker(masks, []),
               progress=False)  # fmt: skip
    (store,) = (p for p in (tmp_path / "cache").iterdir() if not p.name.startswith("."))
    args = ["render", str(video), "-o", "seg.mp4", "--preset", "background-blur"]
    result = CliRunner().invoke(
        cli, [*args, "--masks", str(store), "--start", "0.25s", "--end", "18", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote seg.mp4: 12 frames, 0.50 s of video" in result.output
    assert "s/frame" in result.output
    with open_video("seg.mp4") as seg, open_video("full.mp4") as full:
        assert seg.info.frame_count == 12
        first = seg.read(0).astype(int)
        assert np.abs(first - full.read(6).astype(int)).mean() < 3  # the segment starts at 6
        assert np.abs(first - full.read(0).astype(int)).mean() > 3
    assert _audio_seconds(Path("seg.mp4")) == pytest.approx(0.5, abs=0.08)  # AAC packets
    assert _audio_seconds(Path("full.mp4")) == pytest.approx(1.0, abs=0.08)


def test_tracking_a_segment_tracks_only_it_and_a_whole_store_serves_any_segment(scene):
    video, masks = scene
    calls: list = []
    prompts = parse_prompts(points=["6:20,20"])
    store = vfx.track(video, prompts, "seg.masklets", start=6, end=12, progress=False,
                      tracker=fake_tracker(masks, calls))  # fmt: skip
    assert calls == [[6, 12]]
    assert store.meta["frames"] == [6, 12] and store.frame_count == T
    assert not store.masks_at(3)[1].any() and store.masks_at(8)[1].any()
    with pytest.raises(vfx.VfxError, match=r"outside the segment 10\.\.11"):
        vfx.track(video, prompts, start=10, end=12, progress=False,
                  tracker=fake_tracker(masks, calls))  # fmt: skip
    whole = vfx.track(video, parse_prompts(points=["6:20,20"]), progress=False,
                      tracker=fake_tracker(masks, calls))  # fmt: skip
    assert calls == [[6, 12], None]
    again = vfx.track(video, parse_prompts(points=["6:20,20"]), start="0.25s", end="1s",
                      progress=False, tracker=fake_tracker(masks, calls))  # fmt: skip
    assert calls == [[6, 12], None] and again.path == whole.path  # reused, not tracked


def test_store_records_the_absolute_video_and_export_uses_it(scene, tmp_path: Path):
    """README: `vfx masks export ~/.cache/vfx/masklets/<key> -o vace --format vace`."""
    video, masks = scene
    store = vfx.track(video, parse_prompts(points=["0:20,20"]), progress=False,
                      tracker=fake_tracker(masks, []))  # fmt: skip
    assert store.meta["video"]["path"] == str((tmp_path / "clip.mp4").resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    result = CliRunner().invoke(cli, ["masks", "export", str(store.path), "-o", "vace",
                                      "--format", "vace", "--fps", "16"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (elsewhere / "vace" / "src_video.mp4").is_file()
    shutil.move(tmp_path / "clip.mp4", tmp_path / "moved.mp4")
    result = CliRunner().invoke(cli, ["masks", "export", str(store.path), "-o", "vace2",
                                      "--format", "vace"])  # fmt: skip
    assert result.exit_code == 1
    assert "which is no longer there (moved or deleted); pass --video INPUT" in str(
        result.exception
    )
    write_scene_video(tmp_path / "clip.mp4", W, H, T, FPS, objects=1, seed=5)  # other content
    result = CliRunner().invoke(cli, ["masks", "export", str(store.path), "-o", "vace3",
                                      "--format", "vace"])  # fmt: skip
    assert "has changed since the masks were tracked" in str(result.exception)
    moved = str(tmp_path / "moved.mp4")
    args = ["masks", "export", str(store.path), "-o", "vace4", "--format", "vace"]
    result = CliRunner().invoke(cli, [*args, "--video", moved])
    assert result.exit_code == 0, result.output


def test_export_a_segment(scene, tmp_path: Path):
    video, masks = scene
    store = vfx.track(video, parse_prompts(points=["0:20,20"]), progress=False,
                      tracker=fake_tracker(masks, []))  # fmt: skip
    args = ["masks", "export", str(store.path), "-o", "m.npz", "--format", "npz"]
    result = CliRunner().invoke(cli, [*args, "--start", "4", "--end", "0.5s"])
    assert result.exit_code == 0, result.output
    with np.load("m.npz") as data:
        exported = data["masks"]  # [T, N, H, W]
        meta = json.loads(str(data["meta"]))
    assert exported.shape[0] == 8 and meta["source_frames"] == [4, 12]
    np.testing.assert_array_equal(exported[0, 0] > 0.5, masks[4, 0])


def test_preview_start_picks_the_frame(scene):
    from vfx.rendering.preview import _chosen_frame

    video, _ = scene
    result = CliRunner().invoke(cli, ["preview", str(video), "-o", "p.png", "--start", "0.5s"])
    assert result.exit_code == 0, result.output
    assert Path("p.png").stat().st_size > 0
    with open_video(video) as reader:
        assert _chosen_frame(reader, None, "0.5s", None) == 12
        assert _chosen_frame(reader, "0.25s", None, None) == 6
        assert _chosen_frame(reader, 3, "2", "5") == 3
    result = CliRunner().invoke(cli, ["preview", str(video), "-o", "q.png", "--start", "2",
                                      "--frame", "1"])  # fmt: skip
    assert "outside the segment 2..23" in str(result.exception)


def test_cache_list_show_clear(scene, tmp_path: Path):
    video, masks = scene
    runner = CliRunner()
    assert "0 entries" in runner.invoke(cli, ["cache", "list"]).output
    one = vfx.track(video, parse_prompts(points=["0:20,20"]), progress=False,
                    tracker=fake_tracker(masks, []))  # fmt: skip
    two = vfx.track(video, parse_prompts(points=["2:30,20"]), start=2, end=10, progress=False,
                    tracker=fake_tracker(masks, []))  # fmt: skip
    listing = runner.invoke(cli, ["cache", "list"]).output.splitlines()
    assert listing[0].startswith(f"cache {tmp_path / 'cache'}: 2 entries")
    rows = {row.split()[0]: row for row in listing[1:]}
    assert set(rows) == {one.path.name, two.path.name}  # the full key, as the path has it
    absolute = str((tmp_path / "clip.mp4").resolve())
    assert "fake" in rows[one.path.name] and absolute in rows[one.path.name]
    assert "frames 2..9 of 24" in rows[two.path.name] and "2:30,20" in rows[two.path.name]
    shown = runner.invoke(cli, ["cache", "show", two.path.name[:8]])
    assert shown.exit_code == 0, shown.output
    fields = dict(line.split(None, 1) if " " in line else (line, "") for line in
                  shown.output.splitlines())  # fmt: skip
    assert fields["key"].strip() == two.path.name
    assert fields["video"].strip() == absolute
    assert fields["model"].strip() == "fake"
    assert fields["prompts"].strip() == "1 obj1: 2:30,20"
    assert "kB" in fields["size"] or " B" in fields["size"]
    assert "ago" in fields["age"]
    assert runner.invoke(cli, ["cache", "show", "zzz"]).exit_code == 1
    assert runner.invoke(cli, ["cache", "clear"]).exit_code == 1  # a key or --all
    cleared = runner.invoke(cli, ["cache", "clear", one.path.name])
    assert cleared.output.startswith("removed 1 entry") and not one.path.exists()
    assert two.path.exists()
    candidates = tmp_path / "cache" / ".auto-candidates"  # what `--auto` keeps
    candidates.mkdir()
    (candidates / "k.npz").write_bytes(b"x" * 10)
    assert "removed 1 entry" in runner.invoke(cli, ["cache", "clear", "--all"]).output
    assert not candidates.exists() and not two.path.exists()
    assert not two.path.exists()


def test_track_cli_prints_where_the_masks_are_and_the_speed(scene, tmp_path, monkeypatch):
    video, masks = scene
    from vfx.sources import tracking

    monkeypatch.setattr(tracking, "choose_model", lambda model, checkpoint: None)
    monkeypatch.setattr(tracking, "sam2_tracker",
                        lambda choice, device, progress, precision: fake_tracker(masks, []))
    result = CliRunner().invoke(cli, ["track", str(video), "-o", "a.masklets",
                                      "--point", "0:20,20"])  # fmt: skip
    assert result.exit_code == 0, result.output
    store = MaskletStore.open("a.masklets")
    (cached,) = (p for p in (tmp_path / "cache").iterdir() if not p.name.startswith("."))
    assert f"masks cached in {cached}" in result.output
    assert "wrote a.masklets: 24 frames, objects 1 (obj1); tracked at" in result.output
    assert "s/frame" in result.output.splitlines()[-1]
    assert store.meta["tracking_seconds"] >= 0
    again = CliRunner().invoke(cli, ["track", str(video), "-o", "b.masklets",
                                     "--point", "0:20,20"])  # fmt: skip
    assert f"reused tracking from {cached}" in again.output


@pytest.mark.parametrize(
    "size,text", [(12, "12 B"), (1400, "1.4 kB"), (1.4e6, "1.4 MB"), (2e9, "2.0 GB")]
)
def test_cache_sizes_read_as_people_write_them(size: float, text: str) -> None:
    from vfx.masks.cache_inventory import human_size

    assert human_size(size) == text
