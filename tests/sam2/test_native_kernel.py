"""The compiled softmax kernel: loading it leaves the process's floating point alone, its cache
is private and checked before anything loads, and failures fall back with one clear warning."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sam2.modeling.fast import folded_attention, native_kernel

SOURCE = "int answer(void) { return 42; }\n"
FLAGS = ("-O2",)


@pytest.fixture
def compiler() -> str:
    found = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if found is None:
        pytest.skip("no C compiler here: the kernel cannot be built")
    return found


def _load(folder: Path, flags=FLAGS):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        library = native_kernel.load("answer", SOURCE, flags, cache_dir=folder)
    return library, [str(w.message) for w in caught]


def test_loading_the_kernel_keeps_denormals(compiler, tmp_path: Path) -> None:
    """-ffast-math at link time would add crtfastmath.o, which turns on flush-to-zero for the
    whole process as the library loads."""
    script = (
        "import numpy as np, torch\n"
        "from sam2.modeling.fast import folded_attention as f\n"
        "assert f.available()\n"
        "q = torch.randn(1, 1, 8, 16); k = torch.randn(1, 1, 8, 16); m = torch.randn(1, 8, 4)\n"
        "f.folded_attention(q, k, m)\n"
        "print(repr(float(np.float32(1e-39) * np.float32(1))))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "SAM2_NO_NATIVE": ""}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) != 0.0  # a denormal survives: FTZ/DAZ are off


def test_cache_folder_and_library_are_private(compiler, tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "kernels"
    library, messages = _load(folder)
    assert library is not None and library.answer() == 42 and not messages
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (built,) = folder.glob("answer-*.so")
    assert stat.S_IMODE(built.stat().st_mode) & 0o077 == 0


def test_an_existing_folder_of_ours_is_made_private(compiler, tmp_path: Path) -> None:
    folder = tmp_path / "kernels"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    assert _load(folder)[0] is not None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def _owned_by_someone_else(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    else:  # cannot give a file away: pretend to be another user instead
        other = os.getuid() + 1
        monkeypatch.setattr(native_kernel.os, "getuid", lambda: other)


@pytest.mark.parametrize("plant", ["other_owner", "group_writable", "world_writable", "symlink"])
def test_a_planted_library_is_refused(plant, compiler, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "kernels"
    assert _load(folder)[0] is not None
    (built,) = folder.glob("answer-*.so")
    if plant == "other_owner":
        _owned_by_someone_else(built, monkeypatch)
        expected = "not this user"
    elif plant == "symlink":
        target = tmp_path / "elsewhere.so"
        built.rename(target)
        built.symlink_to(target)
        expected = "not a file"
    else:
        built.chmod(0o720 if plant == "group_writable" else 0o702)
        expected = "writable by group or others"
    library, messages = _load(folder)
    assert library is None
    assert len(messages) == 1 and expected in messages[0] and str(built) in messages[0]


def test_a_folder_owned_by_someone_else_is_refused(compiler, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "kernels"
    folder.mkdir(mode=0o700)
    _owned_by_someone_else(folder, monkeypatch)
    library, messages = _load(folder)
    assert library is None and "not this user" in messages[0]
    assert not list(folder.glob("*.so"))  # nothing was built into it


def test_cache_is_keyed_by_compiler_and_flags(compiler, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "kernels"
    _load(folder)
    _load(folder, ("-O1",))
    wrapper = tmp_path / "bin" / "mycc"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{compiler}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("CC", str(wrapper))
    assert _load(folder)[0].answer() == 42
    assert len(list(folder.glob("answer-*.so"))) == 3


def test_cache_folder_without_a_home(monkeypatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    folder = native_kernel.default_cache_dir()
    assert folder.name.startswith("sam2-kernels-") and folder.parent.is_dir()


def test_a_failed_build_warns_once_with_the_compilers_error(tmp_path, monkeypatch) -> None:
    broken = tmp_path / "brokencc"
    broken.write_text("#!/bin/sh\necho 'fatal error: no such header' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("CC", str(broken))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SAM2_NO_NATIVE", raising=False)
    folded_attention._kernel.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert not folded_attention.available()
            assert not folded_attention.available()
    finally:
        folded_attention._kernel.cache_clear()
    assert len(caught) == 1
    assert "fatal error: no such header" in str(caught[0].message)
    assert "PyTorch path" in str(caught[0].message)
