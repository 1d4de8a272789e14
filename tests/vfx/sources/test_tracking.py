"""Track once, render many: the masklet cache is hit on the second render.

The tracker here is a TEST DOUBLE (``FakeTracker``): it returns the scene's
exact masks instead of running SAM 2, so that the caching around tracking can
be tested without model weights.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import vfx
from vfx.demo.synthetic import write_scene_video
from vfx.masks import MaskletStore, video_content_hash
from vfx.prompts.parsing import parse_prompts
from vfx.sources.tracking import Tracker, cached_store_dir

W, H, T = 96, 64, 8


def object_masks(store: MaskletStore, obj_id: int) -> np.ndarray:
    """``[T, H, W]`` float32 masks of one object."""
    return np.stack([store.masks_at(t)[obj_id] for t in range(store.frame_count)])


class FakeTracker:
    """Test double for SAM 2: counts loads, yields the known masks of each frame."""

    def __init__(self, masks: np.ndarray) -> None:
        self.masks = masks  # [T, N, H, W] bool
        self.loads = 0

    def tracker(self) -> Tracker:
        return Tracker(model="fake-tracker", load=self._load, settings={"test": True})

    def _load(self):
        self.loads += 1

        def run(info, prompts):
            for t in range(info.frame_count):
                yield t, {obj.id: self.masks[t, obj.id - 1].astype(np.float32) for obj in prompts}

        return run


@pytest.fixture
def scene(tmp_path: Path):
    video = tmp_path / "scene.mp4"
    masks = write_scene_video(video, W, H, T, 24, background=None)
    return video, masks


def test_second_render_reuses_the_masklets(scene, tmp_path: Path):
    video, masks = scene
    fake = FakeTracker(masks)
    prompts = parse_prompts(points=["0:30,30", "0:60,40:2"])
    cache = tmp_path / "cache"
    first = vfx.render(video, tmp_path / "a.mp4", preset="background-blur", prompts=prompts,
                       cache_dir=cache, tracker=fake.tracker(), progress=False)  # fmt: skip
    assert fake.loads == 1
    store_dir = cached_store_dir(
        video_content_hash(video), prompts, "fake-tracker", {"test": True}, cache
    )
    store = MaskletStore.open(store_dir)
    assert store.object_ids == [1, 2]
    assert store.meta["model"] == "fake-tracker"
    assert store.meta["prompts"][0]["prompts"][0]["points"] == [[30.0, 30.0]]
    np.testing.assert_allclose(store.masks_at(3)[2], masks[3, 1], atol=1 / 255)

    second = vfx.render(video, tmp_path / "b.mp4", preset="color-splash", prompts=prompts,
                        cache_dir=cache, tracker=fake.tracker(), progress=False)  # fmt: skip
    assert fake.loads == 1, "the second render tracked again instead of using the cache"
    assert first.frames == second.frames == T


def test_renamed_objects_reuse_the_masklets_under_their_new_names(scene, tmp_path: Path):
    video, masks = scene
    fake = FakeTracker(masks)
    prompts = parse_prompts(points=["0:30,30", "0:60,40:2"])
    options = dict(cache_dir=tmp_path / "cache", tracker=fake.tracker(), progress=False)
    before = vfx.track(video, prompts, **options)
    renamed = [dataclasses.replace(prompts[0], name="hero"), prompts[1]]
    after = vfx.track(video, renamed, **options)
    assert fake.loads == 1, "renaming an object tracked it again"
    assert after.names == {1: "hero", 2: before.names[2]}


def test_other_prompts_track_again(scene, tmp_path: Path):
    video, masks = scene
    fake = FakeTracker(masks)
    cache = tmp_path / "cache"
    for point in ("0:30,30", "0:31,30"):
        vfx.track(video, parse_prompts(points=[point]), cache_dir=cache, tracker=fake.tracker(),
                  progress=False)  # fmt: skip
    assert fake.loads == 2
    vfx.track(video, parse_prompts(points=["0:31,30"]), cache_dir=cache, tracker=fake.tracker(),
              progress=False)  # fmt: skip
    assert fake.loads == 2


def test_track_writes_a_copy_that_render_accepts(scene, tmp_path: Path):
    video, masks = scene
    fake = FakeTracker(masks)
    out = tmp_path / "clip.masklets"
    store = vfx.track(video, parse_prompts(points=["0:30,30"]), out, cache_dir=tmp_path / "c",
                      tracker=fake.tracker(), progress=False)  # fmt: skip
    assert store.path == out
    assert store.frame_count == T
    result = vfx.render(video, tmp_path / "r.mp4", preset="spotlight", masks=out, progress=False)
    assert result.frames == T


def test_an_interrupted_store_is_tracked_again(scene, tmp_path: Path):
    video, masks = scene
    prompts = parse_prompts(points=["0:30,30"])
    cache = tmp_path / "cache"

    def broken_load():
        def run(info, prompts):
            yield 0, {1: masks[0, 0].astype(np.float32)}
            raise KeyboardInterrupt

        return run

    with pytest.raises(KeyboardInterrupt):
        broken = Tracker(model="fake-tracker", load=broken_load, settings={"test": True})
        vfx.track(video, prompts, cache_dir=cache, tracker=broken, progress=False)
    fake = FakeTracker(masks)
    store = vfx.track(video, prompts, cache_dir=cache, tracker=fake.tracker(), progress=False)
    assert fake.loads == 1
    assert store.frame_count == T


def test_sam2_tracking_with_random_weights_fills_the_cache(random_checkpoint: Path, tmp_path: Path):
    """The real SAM 2 path (random tiny weights): checkpoint check, tracking, store, cache hit."""
    video = tmp_path / "tiny.mp4"
    write_scene_video(video, 64, 48, 3, 24)
    prompts = parse_prompts(points=["0:20,20"])
    options = {"checkpoint": random_checkpoint, "cache_dir": tmp_path / "c", "progress": False}
    store = vfx.track(video, prompts, **options)
    assert store.frame_count == 3
    assert store.object_ids == [1]
    assert store.meta["model"].startswith("sam2.1_hiera_tiny:")
    probs = object_masks(store, 1)
    assert probs.shape == (3, 48, 64)
    assert 0.0 < (probs > 0.5).mean() < 1.0  # random weights: neither all on nor all off
    again = vfx.track(video, prompts, **options)
    assert again.path == store.path


def test_precision_is_checked_and_keys_the_cache(tmp_path: Path):
    """A bad precision fails before any work; bf16 masklets never answer for fp32 ones."""
    from vfx.errors import VfxError
    from vfx.sources.tracking import ModelChoice, TrackingOptions, sam2_tracker

    video = tmp_path / "tiny.mp4"
    write_scene_video(video, 64, 48, 2, 24)
    with pytest.raises(VfxError, match=r"precision 'fp16'.*auto, fp32, bf16"):
        vfx.track(video, parse_prompts(points=["0:20,20"]), precision="fp16")
    with pytest.raises(VfxError, match="precision"):
        TrackingOptions(precision="half")
    choice = ModelChoice("sam2.1_hiera_tiny", tmp_path / "never-loaded.pt", "tiny:0")
    exact = sam2_tracker(choice, device="cpu", precision="fp32")
    fast = sam2_tracker(choice, device="cpu", precision="bf16")
    assert exact.settings == {"device": "cpu", "precision": "fp32", "autocast": "none"}
    assert fast.settings == {"device": "cpu", "precision": "bf16", "autocast": "none"}
    # CUDA tracks under bf16 autocast: its masklets never answer for a CPU run's
    on_gpu = sam2_tracker(choice, device="cuda:0", precision="fp32")
    assert on_gpu.settings == {"device": "cuda", "precision": "fp32", "autocast": "bf16"}
    from sam2.model_building import default_device

    assert sam2_tracker(choice).settings["device"] == default_device().type  # auto, resolved
    prompts = parse_prompts(points=["0:20,20"])
    digest = video_content_hash(video)
    assert cached_store_dir(digest, prompts, "m", exact.settings, tmp_path) != cached_store_dir(
        digest, prompts, "m", fast.settings, tmp_path
    )


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_follows_the_cpu_and_keys_what_runs(tmp_path: Path, monkeypatch, native):
    """Issue 18: ``auto`` (the default) is bf16 on CPUs with native bf16 and fp32 elsewhere; the
    cache key holds the precision actually used, so an auto run shares the explicit run's entry."""
    import sam2.cpu_features
    from sam2.precision import resolve_precision
    from vfx.sources.tracking import ModelChoice, TrackingOptions, sam2_tracker

    monkeypatch.setattr(sam2.cpu_features, "native_bf16", lambda: native)
    expected = "bf16" if native else "fp32"
    assert TrackingOptions().precision == "auto"
    assert resolve_precision("auto", "cpu")[0] == expected
    assert resolve_precision("fp32", "cpu") == ("fp32", "as asked")
    assert resolve_precision("auto", "cuda")[0] == "fp32"  # bf16 comes from CUDA autocast
    choice = ModelChoice("sam2.1_hiera_tiny", tmp_path / "never-loaded.pt", "tiny:0")
    auto = sam2_tracker(choice, device="cpu")
    assert auto.settings["precision"] == expected
    assert auto.settings == sam2_tracker(choice, device="cpu", precision=expected).settings
    assert sam2_tracker(choice, device="cuda", precision="auto").settings["autocast"] == "bf16"


def test_auto_precision_is_said_when_tracking_starts(
    random_checkpoint: Path, tmp_path: Path, monkeypatch, capsys
):
    """The progress output names the precision that runs and why."""
    import sam2.cpu_features
    from vfx.sources.tracking import ModelChoice, sam2_tracker

    monkeypatch.setattr(sam2.cpu_features, "native_bf16", lambda: False)
    choice = ModelChoice("sam2.1_hiera_tiny", random_checkpoint, "tiny:0")
    sam2_tracker(choice, device="cpu", progress=True).load()
    err = capsys.readouterr().err
    assert "tracking in fp32 on cpu (auto: this CPU has no native bf16" in err


@pytest.mark.slow
def test_bf16_tracking_agrees_with_fp32(
    random_checkpoint: Path, tmp_path: Path, monkeypatch, capsys
):
    """The real bf16 path (random tiny weights): runs end to end and agrees with fp32; on a CPU
    without native bf16 it says that fp32 is faster there."""
    import sam2.cpu_features

    monkeypatch.setattr(sam2.cpu_features, "native_bf16", lambda: False)

    video = tmp_path / "tiny.mp4"
    write_scene_video(video, 64, 48, 3, 24)
    prompts = parse_prompts(points=["0:20,20"])
    options = {"checkpoint": random_checkpoint, "cache_dir": tmp_path / "c", "progress": False}
    exact = object_masks(vfx.track(video, prompts, precision="fp32", **options), 1) > 0.5
    assert "no native bf16" not in capsys.readouterr().err
    fast_store = vfx.track(video, prompts, precision="bf16", **options)
    assert "no native bf16" in capsys.readouterr().err
    assert fast_store.meta["settings"]["precision"] == "bf16"
    fast = object_masks(fast_store, 1) > 0.5
    assert 0.0 < fast.mean() < 1.0
    iou = np.logical_and(exact, fast).sum() / max(np.logical_or(exact, fast).sum(), 1)
    assert iou > 0.98


def test_tracking_removes_stores_left_by_killed_runs(scene, tmp_path: Path):
    """A ``.partial-*`` store untouched for a day is a killed run's; a fresh one may be live."""
    import os
    import time

    from vfx.io.output_policy import STALE_PARTIAL_SECONDS

    video, masks = scene
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / ".abc.partial-x1"
    live = cache / ".def.partial-x2"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "chunk.bin").write_bytes(b"x")
    old = time.time() - STALE_PARTIAL_SECONDS - 60
    os.utime(stale, (old, old))
    fake = FakeTracker(masks)
    vfx.track(video, parse_prompts(points=["0:10,10"]), cache_dir=cache, tracker=fake.tracker(),
              progress=False)
    assert not stale.exists()
    assert live.exists() and (live / "chunk.bin").exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing", "bad-meta"])
def test_damaged_cached_store_is_tracked_again(scene, tmp_path: Path, capsys, damage: str):
    """Issue 14: a damaged cache entry is found on the hit, removed and recomputed (one line)."""
    video, masks = scene
    fake = FakeTracker(masks)
    prompts = parse_prompts(points=["0:10,10"])
    cache = tmp_path / "cache"
    store = vfx.track(video, prompts, cache_dir=cache, tracker=fake.tracker(), progress=False)
    chunk = next(store.path.glob("objects/1/*.bin"))
    if damage == "truncate":
        chunk.write_bytes(chunk.read_bytes()[:-7])
    elif damage == "garbage":
        chunk.write_bytes(b"VFXM" + bytes(40))
    elif damage == "missing":
        chunk.unlink()
    else:
        meta = store.path / "meta.json"
        meta.write_text(meta.read_text().replace('"chunk_frames": 32', '"chunk_frames": 0'))
    capsys.readouterr()
    out = tmp_path / "copy"
    again = vfx.track(video, prompts, out, cache_dir=cache, tracker=fake.tracker(), progress=False)
    assert fake.loads == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unusable, tracking again" in err
    tracked = np.stack([again.masks_at(i)[1] for i in range(len(masks))])  # [T, H, W]
    assert np.array_equal(tracked > 0.5, masks[:, 0])


def test_track_copy_onto_a_full_disk_leaves_nothing(scene, tmp_path: Path):
    from tests.e2e.small_disk import small_disk
    from vfx.errors import VfxError

    video, masks = scene
    fake = FakeTracker(masks)
    with small_disk(tmp_path / "disk", "4k") as disk:
        with pytest.raises(VfxError, match="no space left on the device"):
            vfx.track(
                video,
                parse_prompts(points=["0:10,10"]),
                disk / "masklets",
                cache_dir=tmp_path / "cache",
                tracker=fake.tracker(),
                progress=False,
            )
        assert list(disk.iterdir()) == []
