"""Building and loading small C kernels safely: a private cache, checked before anything loads.

A kernel is compiled once with the system's C compiler into a shared library and ``CDLL``-loaded.
Loading a library runs its code, so the cache must be one only this user can write:

* the cache folder is ``$XDG_CACHE_HOME/sam2-kernels`` (else ``~/.cache/sam2-kernels``; where
  the home folder cannot be found, ``<tmp>/sam2-kernels-<uid>``), created ``0700``; a folder
  owned by another user, or writable by group or others, is not used;
* a library is loaded only if it is a regular file owned by this user and not writable by group
  or others; anything else is refused with a warning;
* libraries are named by a hash of the source, the compiler (its path and ``--version``), the
  flags and the CPU's feature flags, so a changed compiler or flag never reuses an old build;
* compiler flags are used only when compiling: linking never sees ``-ffast-math``, whose
  ``crtfastmath.o`` would switch on flush-to-zero for the whole process when the library loads.

Where no compiler is found, a build fails or a library is refused, :func:`load` warns once with
the reason (the compiler's own error for a failed build) and returns ``None``; callers then keep
their PyTorch path.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from sam2.cpu_features import cpu_flags

CACHE_FOLDER = "sam2-kernels"


class UnsafeKernelPath(OSError):
    """A cache folder or library that another user could have written."""


def load(
    name: str,
    source: str,
    compile_flags: Sequence[str],
    link_flags: Sequence[str] = (),
    cache_dir: Path | None = None,
) -> ctypes.CDLL | None:
    """The library built from C ``source``: from the cache when present and safe, else compiled
    now. Returns ``None`` (after one warning) when it cannot be built or safely loaded.

    ``compile_flags`` go to the compile step only, ``link_flags`` (e.g. ``-lm``) to the link
    step only. ``cache_dir`` defaults to :func:`default_cache_dir`.
    """
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        _fall_back(f"no C compiler found for the {name} kernel (install gcc or set CC)")
        return None
    identity = "\n".join(
        [source, compiler, _compiler_version(compiler), *compile_flags, "--", *link_flags,
         *sorted(cpu_flags() or ())]
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    try:
        folder = private_dir(cache_dir or default_cache_dir())
        library = folder / f"{name}-{digest}.so"
        if not library.exists():
            _build(compiler, source, compile_flags, link_flags, library)
        check_owned_and_private(library, regular_file=True)
        return ctypes.CDLL(str(library))
    except subprocess.CalledProcessError as error:
        message = (error.stderr or b"").decode(errors="replace").strip()
        _fall_back(f"compiling the {name} kernel failed: {message or error}")
    except (OSError, subprocess.SubprocessError) as error:
        _fall_back(f"the {name} kernel cannot be used: {error}")
    return None


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sam2-kernels``, else ``~/.cache/sam2-kernels``, else (no home folder)
    ``<tmp>/sam2-kernels-<uid>``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / CACHE_FOLDER
    try:
        return Path.home() / ".cache" / CACHE_FOLDER
    except (RuntimeError, KeyError, OSError):
        uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
        return Path(tempfile.gettempdir()) / f"{CACHE_FOLDER}-{uid}"


def private_dir(folder: Path) -> Path:
    """``folder``, created ``0700`` if missing (an existing one of ours is made ``0700``);
    raises :class:`UnsafeKernelPath` if it is not a folder or belongs to another user."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    ours = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if ours and stat.S_ISDIR(info.st_mode) and info.st_mode & 0o077:
        folder.chmod(0o700)
    check_owned_and_private(folder, regular_file=False)
    return folder


def check_owned_and_private(path: Path, regular_file: bool) -> None:
    """Raise :class:`UnsafeKernelPath` unless ``path`` (not followed if a link) is owned by this
    user, not writable by group or others, and a regular file (or a folder)."""
    info = path.lstat()
    kind_ok = stat.S_ISREG(info.st_mode) if regular_file else stat.S_ISDIR(info.st_mode)
    if not kind_ok:
        raise UnsafeKernelPath(f"refusing {path}: not a {'file' if regular_file else 'folder'}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeKernelPath(
            f"refusing {path}: owned by uid {info.st_uid}, not this user; delete it"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeKernelPath(
            f"refusing {path}: writable by group or others (mode {oct(info.st_mode & 0o777)}); "
            "delete it"
        )


def _build(
    compiler: str,
    source: str,
    compile_flags: Sequence[str],
    link_flags: Sequence[str],
    library: Path,
) -> None:
    """Compile, then link, into ``library`` (atomically: concurrent builders may race)."""
    with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
        source_file = Path(tmp) / "kernel.c"
        source_file.write_text(source)
        objects = Path(tmp) / "kernel.o"
        built = Path(tmp) / library.name
        for command in (
            [compiler, *compile_flags, "-fPIC", "-c", "-o", str(objects), str(source_file)],
            [compiler, "-shared", "-o", str(built), str(objects), *link_flags],
        ):
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        built.chmod(0o700)
        os.replace(built, library)


def _compiler_version(compiler: str) -> str:
    try:
        done = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _fall_back(reason: str) -> None:
    warnings.warn(f"sam2: {reason}; using the PyTorch path instead (slower)", RuntimeWarning,
                  stacklevel=3)
