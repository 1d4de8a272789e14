"""Media for the batch tests, made in code: short clips with sound, their masks, a corrupt file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from vfx.demo.run import write_mask_folders
from vfx.demo.synthetic import write_scene_video


@dataclass(frozen=True)
class Media:
    """``folder`` holds ``clips/{a,b,c}.mp4`` (160x96, 24 frames, AAC tone), ``masks/a/`` (PNG
    folders of a.mp4's two objects), ``clips/long.mp4`` (192x128, 48 frames) with ``masks/long/``,
    and ``clips/bad.mp4`` (not a video)."""

    folder: Path


def make_media(folder: Path) -> Media:
    """Write the batch test media into ``folder``."""
    clips = folder / "clips"
    clips.mkdir(parents=True)
    for name in "abc":
        masks = write_scene_video(clips / f"{name}.mp4", 160, 96, 24, 24, objects=2,
                                  background=None)  # fmt: skip
        if name == "a":
            write_mask_folders(masks, folder / "masks" / "a")
    long_masks = write_scene_video(clips / "long.mp4", 192, 128, 48, 24, objects=1,
                                   background=None)  # fmt: skip
    write_mask_folders(long_masks, folder / "masks" / "long")
    (clips / "bad.mp4").write_bytes(b"this is not a video " * 64)
    return Media(folder)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    """The batch test media, shared read-only by every test of the session."""
    return make_media(tmp_path_factory.mktemp("batch-media"))


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No masklet or checkpoint cache of the machine leaks in; workers inherit the env."""
    monkeypatch.setenv("VFX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VFX_CHECKPOINTS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
