"""What the CPU can do natively, for choosing (and warning about) reduced-precision paths."""

from __future__ import annotations

import functools
from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> frozenset[str] | None:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``), or ``None`` where they can't be read."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return None


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool | None:
    """Whether this CPU multiplies bfloat16 in hardware (avx512_bf16 or AMX): ``True``/``False``
    on Linux, ``None`` where that cannot be told."""
    flags = cpu_flags(cpuinfo)
    return None if flags is None else not BF16_FLAGS.isdisjoint(flags)
