"""Run the vfx CLI in a fresh interpreter that reports its exit code, wall time and peak memory.

The hostile-input tests use it to measure, not assume, that a refusal is quick and small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from vfx.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = exc.code
# VmHWM is this process's own peak; ru_maxrss would carry over the forking parent's.
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"code": code, "seconds": time.perf_counter() - started, "peak_mb": peak}))
"""


def measured_vfx(args: list[str], cwd: Path) -> tuple[dict, str]:
    """``vfx ARGS`` run in ``cwd`` (caches under ``cwd/cache``, one OpenMP thread).

    Returns ``({"code", "seconds", "peak_mb"}, stderr)``.
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VFX_CACHE_DIR": str(cwd / "cache"),
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr
