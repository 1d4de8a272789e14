"""atomic_output: complete outputs or nothing, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output, check_output_path


def test_file_appears_only_on_success_with_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    old = os.umask(0o022)
    try:
        with atomic_output(target) as tmp:
            assert not target.exists()
            tmp.write_bytes(b"data")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_folder_output_gets_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "frames"
    old = os.umask(0o022)
    try:
        with atomic_output(target, directory=True) as tmp:
            (tmp / "a.png").write_bytes(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert (target / "a.png").exists()


def test_interrupt_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_output_equal_to_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in.mp4"
    src.write_bytes(b"video")
    with pytest.raises(VfxError, match="is the input itself"):
        check_output_path(src, force=True, inputs=(src,))


def test_existing_output_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"old")
    with pytest.raises(VfxError, match="--force"):
        check_output_path(out, force=False)
    assert check_output_path(out, force=True) == out
