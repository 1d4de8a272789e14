"""`vfx checkpoints list | download | verify` and the download_ckpts.sh entry point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checkpoint_http_server import LoopbackServer
from click.testing import CliRunner

from vfx.cli import main
from vfx.cli.checkpoints_cmd import checkpoints
from vfx.errors import VfxError

REPO = Path(__file__).resolve().parents[3]
TINY = "sam2.1_hiera_tiny.pt"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no checkpoints anywhere vfx searches."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("VFX_CHECKPOINTS", raising=False)
    monkeypatch.delenv("VFX_CHECKPOINT_URL_BASE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return work


def test_list_shows_every_model_and_where_it_is(isolated: Path) -> None:
    (isolated / "checkpoints").mkdir()
    (isolated / "checkpoints" / TINY).write_bytes(b"x")
    result = CliRunner().invoke(checkpoints, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "FILE", "SIZE", "WHERE"]
    assert len(lines) == 9
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["sam2.1-tiny"] == [
        "sam2.1-tiny",
        TINY,
        "156.0",
        "MB",
        str(isolated / "checkpoints" / TINY),
    ]
    large = ["sam2.1-large", "sam2.1_hiera_large.pt", "898.1", "MB", "missing"]
    assert rows["sam2.1-large"] == large
    assert rows["sam2-small"] == ["sam2-small", "sam2_hiera_small.pt", "?", "missing"]


def test_download_then_already_present(
    isolated: Path, loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path]
) -> None:
    loopback_server.files[TINY] = generated_checkpoints["sam2.1_hiera_tiny"]
    args = ["download", "sam2.1-tiny", "--dir", "weights", "--url-base", loopback_server.url]
    result = CliRunner().invoke(checkpoints, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    saved = Path("weights") / TINY
    assert result.output == f"saved {saved} (verified)\n"
    assert saved.stat().st_size == generated_checkpoints["sam2.1_hiera_tiny"].stat().st_size
    again = CliRunner().invoke(checkpoints, [*args, "--quiet"])
    assert again.output.startswith(f"already present: {saved}")
    assert len(loopback_server.requests) == 1


def test_download_failure_is_a_vfx_error(isolated: Path, loopback_server: LoopbackServer) -> None:
    args = ["download", "sam2.1-tiny", "--url-base", loopback_server.url, "--quiet"]
    result = CliRunner().invoke(checkpoints, args)
    assert isinstance(result.exception, VfxError)
    assert "HTTP 404" in str(result.exception)
    assert not (isolated.parent / "cache" / "vfx" / "checkpoints" / TINY).exists()


def test_verify_good_and_bad(
    isolated: Path,
    generated_checkpoints: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = generated_checkpoints["sam2_hiera_tiny"]
    result = CliRunner().invoke(checkpoints, ["verify", str(good)])
    assert result.exit_code == 0
    assert result.output == (
        f"{good}: sam2_hiera_tiny (SAM 2.0 tiny, config configs/sam2/sam2_hiera_t.yaml)\n"
    )
    bad = isolated / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit) as info:
        main(["checkpoints", "verify", str(bad)])
    assert info.value.code == 1
    assert capsys.readouterr().err == (
        f"vfx: error: checkpoint {bad} is corrupt or not a PyTorch checkpoint; download it again\n"
    )


def _run_script(folder: Path, server: LoopbackServer, *args: str) -> subprocess.CompletedProcess:
    """Run a copy of checkpoints/download_ckpts.sh placed in ``folder`` against ``server``."""
    script = folder / "download_ckpts.sh"
    shutil.copy(REPO / "checkpoints" / "download_ckpts.sh", script)
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "PYTHONPATH": str(REPO),
        "VFX_CHECKPOINT_URL_BASE": server.url,
    }
    return subprocess.run(
        ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=100
    )


def test_download_script_defaults_to_the_sam2_1_models(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    done = _run_script(tmp_path, loopback_server)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f"vfx: error: download of {TINY} from")
    assert "HTTP 404" in done.stderr
    assert loopback_server.requests == [(f"/{TINY}", None)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download_ckpts.sh"]


@pytest.mark.slow
def test_download_script_saves_beside_itself(
    tmp_path: Path, loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path]
) -> None:
    """With no names the script fetches the four SAM 2.1 models in order; the mirror here
    has only the tiny one, so the script saves it and then stops at the small one."""
    loopback_server.files[TINY] = generated_checkpoints["sam2.1_hiera_tiny"]
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    done = _run_script(folder, loopback_server)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == f"saved {folder / TINY} (verified)"
    assert done.stderr.splitlines()[-1].startswith(
        "vfx: error: download of sam2.1_hiera_small.pt from"
    )
    assert [path for path, _ in loopback_server.requests] == [
        f"/{TINY}",
        "/sam2.1_hiera_small.pt",
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["download_ckpts.sh", TINY]
