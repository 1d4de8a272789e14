"""What the CPU can do natively, for choosing (and warning about) reduced-precision paths."""

from __future__ import annotations

import functools
from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool | None:
    """Whether this CPU multiplies bfloat16 in hardware (avx512_bf16 or AMX): ``True``/``False``
    on Linux (read from ``cpuinfo``), ``None`` where that cannot be told."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return not BF16_FLAGS.isdisjoint(line.split(":", 1)[1].split())
    return None
