"""Where checkpoints are looked for, in which order, and what a missing one says."""

from __future__ import annotations

from pathlib import Path

import pytest

from vfx.checkpoints import checkpoint_dirs, find_checkpoint
from vfx.checkpoints.discovery import default_download_dir, user_cache_dir
from vfx.errors import VfxError

FILE = "sam2.1_hiera_tiny.pt"


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A working directory, two $VFX_CHECKPOINTS folders and an XDG cache, all empty."""
    folders = {
        "cwd": tmp_path / "work",
        "env1": tmp_path / "env1",
        "env2": tmp_path / "env2",
        "cache": tmp_path / "xdg" / "vfx" / "checkpoints",
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
    monkeypatch.chdir(folders["cwd"])
    monkeypatch.setenv("VFX_CHECKPOINTS", f"{folders['env1']}:{folders['env2']}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return folders


def _put(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    path.write_bytes(b"weights")
    return path


def test_search_order(places: dict[str, Path]) -> None:
    assert checkpoint_dirs() == [
        places["cwd"] / "checkpoints",
        places["env1"],
        places["env2"],
        places["cache"],
    ]
    in_cache = _put(places["cache"])
    assert find_checkpoint("sam2.1-tiny") == in_cache
    in_env2 = _put(places["env2"])
    assert find_checkpoint("sam2.1_hiera_tiny") == in_env2
    in_env1 = _put(places["env1"])
    assert find_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml") == in_env1
    in_cwd = _put(places["cwd"] / "checkpoints")
    assert find_checkpoint("sam2.1-tiny") == in_cwd


def test_explicit_path_wins(places: dict[str, Path], tmp_path: Path) -> None:
    _put(places["cwd"] / "checkpoints")
    mine = tmp_path / "elsewhere" / "renamed.pt"
    mine.parent.mkdir()
    mine.write_bytes(b"weights")
    assert find_checkpoint("sam2.1-tiny", mine) == mine
    folder_hit = _put(tmp_path / "folder")
    assert find_checkpoint("sam2.1-tiny", tmp_path / "folder") == folder_hit


def test_explicit_path_missing(places: dict[str, Path], tmp_path: Path) -> None:
    _put(places["cache"])
    with pytest.raises(VfxError, match=r"checkpoint .*nope\.pt does not exist"):
        find_checkpoint("sam2.1-tiny", tmp_path / "nope.pt")


def test_missing_checkpoint_gives_the_download_command(places: dict[str, Path]) -> None:
    _put(places["cache"])  # a different model's folder content must not count
    (places["cache"] / FILE).rename(places["cache"] / "sam2.1_hiera_small.pt")
    with pytest.raises(VfxError) as info:
        find_checkpoint("sam2.1_hiera_t.yaml")
    message = str(info.value)
    assert message.endswith("download it with: vfx checkpoints download sam2.1-tiny")
    assert str(places["env2"]) in message and str(places["cache"]) in message
    assert "\n" not in message


def test_cache_dir_follows_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert user_cache_dir() == tmp_path / "x" / "vfx" / "checkpoints"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "vfx" / "checkpoints"


def test_download_dir_default(places: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_download_dir() == places["env1"]
    monkeypatch.delenv("VFX_CHECKPOINTS")
    assert default_download_dir() == places["cache"]
    assert checkpoint_dirs() == [places["cwd"] / "checkpoints", places["cache"]]


def test_list_checkpoints_says_where_each_is(tmp_path: Path, monkeypatch) -> None:
    from vfx.checkpoints import MODELS, list_checkpoints

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("VFX_CHECKPOINTS", str(tmp_path / "mine"))
    (tmp_path / "mine").mkdir()
    tiny = MODELS["sam2.1_hiera_tiny"]
    (tmp_path / "mine" / tiny.file_name).write_bytes(b"x" * 10)
    statuses = list_checkpoints()
    assert [s.model for s in statuses] == list(MODELS.values())
    found = {s.model.name: s.path for s in statuses if s.path is not None}
    assert found == {"sam2.1_hiera_tiny": tmp_path / "mine" / tiny.file_name}
    by_name = {s.model.name: s.size for s in statuses}
    assert by_name["sam2.1_hiera_tiny"] == (tiny.official_bytes or 10)
