"""Outputs that appear complete or not at all.

Every file or folder vfx writes goes through :func:`atomic_output`: the work is
done under a temporary name beside the target and renamed into place only when
it finished; any exception (Ctrl-C included) removes the temporary instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vfx.errors import VfxError


def check_output_path(
    path: str | Path, *, force: bool, inputs: tuple[str | Path, ...] = ()
) -> Path:
    """Validate an output path before any work starts.

    Raises :class:`VfxError` when the output is one of ``inputs``, exists without
    ``force``, or its parent folder is missing.
    """
    out = Path(path)
    for src in inputs:
        if src is not None and out.resolve() == Path(src).resolve():
            raise VfxError(f"output {out} is the input itself; choose another output path")
    if out.exists() and not force:
        raise VfxError(f"output {out} already exists; pass --force to overwrite it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise VfxError(f"output folder {parent} does not exist; create it first")
    return out


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so cleanup runs (main thread only)."""
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def _raise(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(
    path: str | Path, *, directory: bool = False, suffix: str | None = None
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Args:
        path: the final file or folder.
        directory: create the temporary as an empty folder (for image sequences).
        suffix: extension for the temporary file; defaults to ``path``'s own, so
            that tools which pick a format from the extension still work.

    On any exception, including KeyboardInterrupt and SIGTERM, the temporary is
    removed and nothing is left under ``path``'s name.
    """
    final = Path(path)
    parent = final.parent if str(final.parent) else Path(".")
    ext = final.suffix if suffix is None else suffix
    prefix = f".{final.name}.partial-"
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=ext, dir=parent)
        os.close(fd)
        tmp = Path(name)
    try:
        with _sigterm_as_interrupt():
            yield tmp
            # mkstemp/mkdtemp create private (0600/0700) entries; give the output
            # the permissions a plain open() or mkdir() would have had.
            os.chmod(tmp, (0o777 if directory else 0o666) & ~_current_umask())
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise
