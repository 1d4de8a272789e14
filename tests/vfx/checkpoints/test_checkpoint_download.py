"""Downloads from a loopback server: every run ends with the right file or no file, and a
clear message. The served checkpoints are seeded random weights in the official layout."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from checkpoint_http_server import LoopbackServer

from vfx.checkpoints import MODELS, download_checkpoint, known_models, verify_checkpoint
from vfx.errors import VfxError

TINY = "sam2.1_hiera_tiny.pt"

pytestmark = pytest.mark.timeout(120)


def _download(server: LoopbackServer, folder: Path, **kwargs: object) -> Path:
    return download_checkpoint("sam2.1-tiny", folder, url_base=server.url, progress=False, **kwargs)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_full_download(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    saved = _download(loopback_server, tmp_path / "new" / "folder")
    assert saved == tmp_path / "new" / "folder" / TINY
    assert saved.read_bytes() == source.read_bytes()
    assert _leftovers(saved.parent) == [TINY]
    assert loopback_server.requests == [(f"/{TINY}", None)]
    assert verify_checkpoint(saved).name == "sam2.1_hiera_tiny"
    # A second call finds the file in place and does not touch the network.
    assert _download(loopback_server, saved.parent) == saved
    assert len(loopback_server.requests) == 1


def test_env_var_sets_the_mirror(
    loopback_server: LoopbackServer,
    generated_checkpoints: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loopback_server.files["sam2_hiera_tiny.pt"] = generated_checkpoints["sam2_hiera_tiny"]
    monkeypatch.setenv("VFX_CHECKPOINT_URL_BASE", loopback_server.url + "/")
    monkeypatch.setenv("VFX_CHECKPOINTS", str(tmp_path / "env"))
    saved = download_checkpoint("sam2_hiera_t.yaml", progress=False)
    assert saved == tmp_path / "env" / "sam2_hiera_tiny.pt"
    assert verify_checkpoint(saved).name == "sam2_hiera_tiny"


def test_resume_after_dropped_connection(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    loopback_server.drops = [40_000_000]  # the first answer is reset after 40 MB
    saved = _download(loopback_server, tmp_path)
    assert saved.read_bytes() == source.read_bytes()
    assert _leftovers(tmp_path) == [TINY]
    assert len(loopback_server.requests) == 2
    resumed_at = int(loopback_server.requests[1][1].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= 40_000_000


def test_resume_in_a_later_run(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    loopback_server.cuts = [1_000_000]  # the connection closes early after 1 MB
    with pytest.raises(VfxError) as info:
        _download(loopback_server, tmp_path, attempts=1)
    message = str(info.value)
    assert f"stopped at 1,000,000 of {source.stat().st_size:,} bytes" in message
    assert "was kept: run the same command again to resume" in message
    assert _leftovers(tmp_path) == [TINY + ".part"]
    assert (tmp_path / (TINY + ".part")).read_bytes() == source.read_bytes()[:1_000_000]

    saved = _download(loopback_server, tmp_path)
    assert loopback_server.requests[-1] == (f"/{TINY}", "bytes=1000000-")
    assert saved.read_bytes() == source.read_bytes()
    assert _leftovers(tmp_path) == [TINY]


def test_complete_part_from_an_interrupted_run(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    """A part file that already holds every byte (the last run stopped before the rename)
    gets HTTP 416 on resume, is checked and renamed."""
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    shutil.copy(source, tmp_path / (TINY + ".part"))
    saved = _download(loopback_server, tmp_path)
    size = source.stat().st_size
    assert loopback_server.requests == [(f"/{TINY}", f"bytes={size}-")]
    assert saved.read_bytes() == source.read_bytes()
    assert _leftovers(tmp_path) == [TINY]


def test_server_ignoring_range_starts_over(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    loopback_server.honour_range = False
    (tmp_path / (TINY + ".part")).write_bytes(b"stale bytes from another file")
    saved = _download(loopback_server, tmp_path)
    assert loopback_server.requests[0][1] == "bytes=29-"
    assert saved.read_bytes() == source.read_bytes()
    assert _leftovers(tmp_path) == [TINY]


def test_truncated_file_on_server(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(300_000))
    loopback_server.files[TINY] = payload
    loopback_server.extra_length = 5_000  # announces 5,000 bytes it never sends
    folder = tmp_path / "out"
    with pytest.raises(VfxError) as info:
        _download(loopback_server, folder)
    message = str(info.value)
    assert "stopped at 300,000 of 305,000 bytes" in message
    assert "\n" not in message
    assert not (folder / TINY).exists()
    # The retry resumed at the end of what arrived and made no progress, so it stopped.
    assert [r[1] for r in loopback_server.requests] == [None, "bytes=300000-"]
    assert (folder / (TINY + ".part")).read_bytes() == payload.read_bytes()


def test_wrong_size_from_the_official_source(
    loopback_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(200_000))
    loopback_server.files[TINY] = payload
    monkeypatch.setattr(known_models, "OFFICIAL_URL_BASE", loopback_server.url)
    folder = tmp_path / "out"
    with pytest.raises(VfxError) as info:
        download_checkpoint("sam2.1-tiny", folder, progress=False)
    message = str(info.value)
    assert "is 200,000 bytes on the server, but the official file is 156,008,466 bytes" in message
    assert "nothing was saved" in message
    assert loopback_server.requests == [(f"/092824/{TINY}", None)]
    assert _leftovers(folder) == []


def test_official_source_with_matching_size(
    loopback_server: LoopbackServer,
    generated_checkpoints: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    monkeypatch.setattr(known_models, "OFFICIAL_URL_BASE", loopback_server.url)
    tiny = dataclasses.replace(MODELS["sam2.1_hiera_tiny"], official_bytes=source.stat().st_size)
    monkeypatch.setitem(known_models.MODELS, "sam2.1_hiera_tiny", tiny)  # type: ignore[index]
    saved = download_checkpoint(
        "sam2.1-tiny", tmp_path, url_base=loopback_server.url + "/", progress=False
    )
    assert loopback_server.requests == [(f"/092824/{TINY}", None)]
    assert saved.read_bytes() == source.read_bytes()


def test_corrupt_pickle(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(100_000))
    loopback_server.files[TINY] = junk
    folder = tmp_path / "out"
    with pytest.raises(VfxError) as info:
        _download(loopback_server, folder)
    message = str(info.value)
    assert "did not pass the content check" in message and "corrupt" in message
    assert "\n" not in message
    assert _leftovers(folder) == []


def test_truncated_zip_with_honest_length(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    half = tmp_path / "half.pt"
    data = generated_checkpoints["sam2.1_hiera_tiny"].read_bytes()
    half.write_bytes(data[: len(data) // 2])
    loopback_server.files[TINY] = half
    folder = tmp_path / "out"
    with pytest.raises(VfxError, match=r"did not pass the content check.*corrupt"):
        _download(loopback_server, folder)
    assert _leftovers(folder) == []


def test_pickle_that_would_run_code(
    loopback_server: LoopbackServer, code_running_checkpoint: tuple[Path, Path], tmp_path: Path
) -> None:
    evil, marker = code_running_checkpoint
    loopback_server.files[TINY] = evil
    folder = tmp_path / "out"
    with pytest.raises(VfxError) as info:
        _download(loopback_server, folder)
    assert "could run code" in str(info.value)
    assert not marker.exists()
    assert _leftovers(folder) == []


def test_wrong_model(
    loopback_server: LoopbackServer,
    generated_checkpoints: dict[str, Path],
    tmp_path: Path,
) -> None:
    loopback_server.files[TINY] = generated_checkpoints["sam2_hiera_tiny"]  # 2.0 under a 2.1 name
    folder = tmp_path / "out"
    with pytest.raises(VfxError) as info:
        _download(loopback_server, folder)
    message = str(info.value)
    assert "holds sam2_hiera_tiny weights, not sam2.1_hiera_tiny" in message
    assert "--url-base" in message
    assert _leftovers(folder) == []


def test_missing_on_server(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    with pytest.raises(VfxError, match=r"could not be fetched \(HTTP 404"):
        _download(loopback_server, folder)
    assert _leftovers(folder) == []


def _small_model(monkeypatch: pytest.MonkeyPatch, official_bytes: int) -> None:
    tiny = dataclasses.replace(MODELS["sam2.1_hiera_tiny"], official_bytes=official_bytes)
    monkeypatch.setitem(known_models.MODELS, "sam2.1_hiera_tiny", tiny)  # type: ignore[index]


def test_mirror_announcing_a_terabyte_is_refused_before_writing(
    loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(100_000))
    loopback_server.files[TINY] = payload
    loopback_server.content_length = str(1 << 40)
    folder = tmp_path / "out"
    with pytest.raises(VfxError, match="is announced as 1,099,511,627,776 bytes, more than the"):
        _download(loopback_server, folder)
    assert _leftovers(folder) == []


def test_mirror_sending_more_than_the_model_can_be_is_cut_off(
    loopback_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed Content-Length counts as none, and the byte cap still holds."""
    _small_model(monkeypatch, 50_000)
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(3 << 20))
    loopback_server.files[TINY] = payload
    loopback_server.content_length = "abc"
    folder = tmp_path / "out"
    with pytest.raises(VfxError, match="grew past the 1,103,576 bytes this model can be") as info:
        _download(loopback_server, folder)
    assert "\n" not in str(info.value)
    assert _leftovers(folder) == []


def test_malformed_content_length_still_downloads(
    loopback_server: LoopbackServer, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    source = generated_checkpoints["sam2.1_hiera_tiny"]
    loopback_server.files[TINY] = source
    loopback_server.content_length = "abc"
    saved = _download(loopback_server, tmp_path / "out")
    assert saved.read_bytes() == source.read_bytes()


def test_dripping_server_is_given_up_on(
    loopback_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vfx.checkpoints import download

    monkeypatch.setattr(download, "STALL_SECONDS", 1.0)
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(10_000))
    loopback_server.files[TINY] = payload
    loopback_server.drip_s = 0.05
    folder = tmp_path / "out"
    with pytest.raises(VfxError, match=r"bytes/s over 1 s, below 16,384") as info:
        _download(loopback_server, folder, attempts=1)
    assert "run the same command again to resume" in str(info.value)


def test_overall_deadline(
    loopback_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VFX_DOWNLOAD_TIMEOUT", "1")
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(10_000))
    loopback_server.files[TINY] = payload
    loopback_server.drip_s = 0.02
    with pytest.raises(VfxError, match=r"took longer than 1 s \(raise VFX_DOWNLOAD_TIMEOUT\)"):
        _download(loopback_server, tmp_path / "out", attempts=1)
