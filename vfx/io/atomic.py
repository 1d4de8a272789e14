"""Outputs that appear complete or not at all.

Every file or folder vfx writes goes through :func:`atomic_output`: the work is
done under a temporary name beside the target and renamed into place only when
it finished; any exception (Ctrl-C, SIGTERM, SIGHUP and SIGQUIT included)
removes the temporary instead. What may be replaced is decided by
:mod:`vfx.io.output_policy`; a full disk or a read-only folder met while writing
becomes one :class:`VfxError` line, with nothing left behind.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vfx.errors import VfxError
from vfx.io.output_policy import (
    check_output_path,
    check_replaceable,
    mark_output_folder,
    remove_stale_temporaries,
)

__all__ = ["atomic_output", "check_output_path", "no_space", "write_failure"]

# Signals that end a run the way Ctrl-C does, so the temporary is removed.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)
# OS errors that mean "this output cannot be written here", reported in one line; a
# permission error means that only when creating the output (reads may raise it too).
_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_WRITE_ERRNOS = {*_SPACE_ERRNOS, errno.EROFS}
_CREATE_ERRNOS = {*_WRITE_ERRNOS, errno.EACCES, errno.EPERM}
AUDIO_SCRATCH_PREFIX = ".vfx-audio-"
"""Prefix of the scratch folders the writer keeps beside an output for its audio."""


@contextlib.contextmanager
def _stop_signals_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP and SIGQUIT into KeyboardInterrupt so cleanup runs (main thread
    only)."""

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    try:
        for sig in _STOP_SIGNALS:
            handler = signal.signal(sig, _raise)
            previous[sig] = handler
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def no_space(path: str | Path) -> VfxError:
    """The one-line error for a disk that filled up while ``path`` was written."""
    return VfxError(
        f"no space left on the device writing {path}; nothing was written: free some space "
        "or choose an output on another disk"
    )


def write_failure(path: Path, exc: OSError, *, creating: bool = False) -> VfxError | None:
    """The one-line error for an OS error that means ``path`` cannot be written, else None.

    ``creating``: the error came from creating the output (permission errors count too).
    """
    if exc.errno not in (_CREATE_ERRNOS if creating else _WRITE_ERRNOS):
        return None
    if exc.errno in _SPACE_ERRNOS:
        return no_space(path)
    return VfxError(
        f"cannot write {path} ({exc.strerror}); nothing was written: choose a folder you can "
        "write to"
    )


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

    On any exception, including KeyboardInterrupt and SIGTERM/SIGHUP/SIGQUIT, the
    temporary is removed and nothing is left under ``path``'s name; an OS error that
    means the disk is full or the folder is not writable becomes a :class:`VfxError`.
    A folder output gets the :data:`vfx.io.output_policy.OUTPUT_MARKER` that lets a
    later ``--force`` replace it. Temporaries that killed runs left beside ``path``
    long ago are removed first.

    Raises:
        VfxError: ``path`` exists as something this output may not replace (see
            :func:`vfx.io.output_policy.check_replaceable`), or writing failed as above.
    """
    final = Path(path)
    parent = final.parent if str(final.parent) else Path(".")
    check_replaceable(final, folder=directory)
    own = glob.escape(final.name)
    remove_stale_temporaries(parent, (f".{own}.partial-*", f"{AUDIO_SCRATCH_PREFIX}*"))
    ext = final.suffix if suffix is None else suffix
    prefix = f".{final.name}.partial-"
    try:
        if directory:
            tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        else:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=ext, dir=parent)
            os.close(fd)
            tmp = Path(name)
    except OSError as exc:
        failure = write_failure(final, exc, creating=True)
        if failure is None:
            raise
        raise failure from None
    try:
        with _stop_signals_as_interrupt():
            yield tmp
            if directory:
                mark_output_folder(tmp)
            # mkstemp/mkdtemp create private (0600/0700) entries; give the output
            # the permissions a plain open() or mkdir() would have had.
            os.chmod(tmp, (0o777 if directory else 0o666) & ~_current_umask())
            check_replaceable(final, folder=directory)  # again: it may have changed meanwhile
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            os.replace(tmp, final)
    except BaseException as exc:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        failure = write_failure(final, exc) if isinstance(exc, OSError) else None
        if failure is not None:
            raise failure from None
        raise
