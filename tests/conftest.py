"""Shared fixtures: every test makes its own data; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vfx.demo.synthetic import write_scene_video


@pytest.fixture
def scene_clip(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 24-frame 320x240 green-screen clip at 24 fps with a sine tone.

    Returns the path and the exact masks ``[T, N, H, W]``.
    """
    path = tmp_path / "scene.mp4"
    masks = write_scene_video(path)
    return path, masks


@pytest.fixture
def isolated_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No checkpoint or masklet cache of the machine leaks into a test: the caches live under
    ``tmp_path``, which is also the working folder."""
    monkeypatch.setenv("VFX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("VFX_CHECKPOINTS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded random ``sam2.1_hiera_tiny`` weights in the official layout, written once a session
    (read-only: a test that changes a checkpoint writes its own)."""
    from sam2.testing import write_random_checkpoint

    folder = tmp_path_factory.mktemp("weights")
    return write_random_checkpoint(folder / "sam2.1_hiera_tiny.pt", "sam2.1_hiera_tiny")


@pytest.fixture(scope="session")
def confident_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like :func:`random_checkpoint`, but confident (:func:`sam2.testing.confident_state_dict`):
    automatic masks pass the official quality thresholds. Written once a session, read-only."""
    from sam2.testing import write_random_checkpoint

    folder = tmp_path_factory.mktemp("confident")
    return write_random_checkpoint(folder / "sam2.1_hiera_tiny.pt", "sam2.1_hiera_tiny",
                                   confident=True)  # fmt: skip
