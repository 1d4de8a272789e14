"""Fixtures for the end-to-end tests: a generated clip with audio and its exact masks as PNGs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.scene_clip import HEIGHT as HEIGHT
from tests.scene_clip import WIDTH as WIDTH
from tests.scene_clip import SceneClip, scene_clip
from vfx.cli import main

FRAMES, FPS = 24, 24
Clip = SceneClip
"""The end-to-end tests' clip (:class:`tests.scene_clip.SceneClip`)."""


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """The shared clip (:func:`tests.scene_clip.scene_clip`): 24 frames at 24 fps, PNG masks."""
    return scene_clip(tmp_path_factory.mktemp("clip"), FRAMES, FPS, mask_folders=True)


@pytest.fixture(autouse=True)
def _isolated(isolated_caches: None) -> None:
    """Every test here runs with the shared ``isolated_caches`` (tests/conftest.py)."""


def file_digest(path: Path) -> str:
    """SHA-256 of a file, to prove an input was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_vfx(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real entry point ``vfx.cli.main``; returns (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def render_args(
    clip: Clip, out: Path | str, *extra: str, preset: str = "background-blur"
) -> list[str]:
    """``vfx render`` of the clip through its PNG masks, quietly: the arguments."""
    return ["render", str(clip.video), "-o", str(out), "--preset", preset,
            "--masks", str(clip.masks_dir), "--quiet", *extra]  # fmt: skip


def export_args(masks: Path, out: Path, *extra: str) -> list[str]:
    """``vfx masks export --format png`` of ``masks`` to ``out``: the arguments."""
    return ["masks", "export", "--masks", str(masks), "-o", str(out), "--format", "png", *extra]
