"""Kill the worker process that is writing a given output, mid-job (for the retry tests)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path


def _writer_of(partial: Path) -> int | None:
    """The pid of the process whose ffmpeg child writes ``partial`` (its name in ffmpeg's args)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            if str(partial).encode() not in args:
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        return int(stat.rsplit(")", 1)[1].split()[1])  # field 4: the parent's pid
    return None


class WorkerKiller(threading.Thread):
    """Watches for ``output``'s temporary file; SIGKILLs its writer once, recording the pid."""

    def __init__(self, output: Path, timeout: float = 120.0) -> None:
        super().__init__(daemon=True)
        self.output = output
        self.timeout = timeout
        self.killed: int | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.killed is None:
            for partial in self.output.parent.glob(f".{self.output.name}.partial-*"):
                pid = _writer_of(partial)
                if pid is not None and pid != os.getpid():
                    os.kill(pid, signal.SIGKILL)
                    self.killed = pid
                    return
            time.sleep(0.02)
