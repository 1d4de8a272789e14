"""An exclusive lock between processes on one machine, held through a lock file.

Workers of a batch may ask for the same masklets at once; the first to take the
lock tracks and publishes the store, the others wait and then find it complete.
The lock is an advisory ``flock``, which the kernel drops when its holder dies,
so a killed worker never leaves the others waiting.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.

    Blocks while another process holds it.
    """
    lock = Path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
