"""Exact fp32 cross-attention over a raw (unprojected) memory, for the CPU.

Attention rows sum to one, so ``softmax(Q K^T) (M W_v^T + b_v) = (softmax(Q K^T) M) W_v^T + b_v``:
reading the 64-wide memory instead of the 256-wide projected values cuts the ``A V`` product
4x and cross-attention's FLOPs by 37.5%. PyTorch's fused CPU attention (SDPA) needs equal q/v
widths and falls back to a materialised path otherwise, and a softmax built from PyTorch
elementwise ops costs more memory passes than the fold saves. So this runs the flash-attention
recurrence itself: per block of queries and of keys, one matmul for the scores, one small C
routine (compiled on first use with the system's C compiler, vectorised ``expf``) for the
online-softmax update, one matmul into the accumulator.

Where no C compiler is found (or ``SAM2_NO_NATIVE=1``) :func:`available` is false and callers
keep PyTorch SDPA; both are fp32 and agree to float reassociation (~1e-7 relative).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

from sam2.cpu_features import cpu_flags

QUERY_BLOCK = 512
KEY_BLOCK = 512

_SOURCE = r"""
#include <math.h>
#include <stdint.h>

/* One key block of an online softmax over rows [0, rows) of s (row stride ld, cols used):
   s becomes exp(s - new_max); row_max becomes new_max; row_sum becomes
   row_sum * alpha + sum(exp); alpha = exp(old_max - new_max) rescales the accumulator. */
void softmax_block(float *s, int64_t rows, int64_t cols, int64_t ld,
                   float *row_max, float *row_sum, float *alpha) {
    for (int64_t r = 0; r < rows; ++r) {
        float *x = s + r * ld;
        float old_max = row_max[r];
        float block_max = -3.0e38f;
        for (int64_t c = 0; c < cols; ++c) block_max = x[c] > block_max ? x[c] : block_max;
        float new_max = block_max > old_max ? block_max : old_max;
        float sum = 0.0f;
        for (int64_t c = 0; c < cols; ++c) {
            float e = expf(x[c] - new_max);
            x[c] = e;
            sum += e;
        }
        float a = expf(old_max - new_max);
        alpha[r] = a;
        row_sum[r] = row_sum[r] * a + sum;
        row_max[r] = new_max;
    }
}
"""
_FLAGS = ["-O3", "-march=native", "-ffast-math", "-shared", "-fPIC"]
_LIBS = ["-lmvec", "-lm"]


def available() -> bool:
    """Whether the compiled softmax routine could be built and loaded on this machine."""
    return _kernel() is not None


def folded_attention(q: torch.Tensor, k: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """``softmax(q k^T / sqrt(D)) memory`` in fp32 on the CPU.

    ``q [B, h, N, D]``, ``k [B, h, M, D]``, ``memory [B, M, E]`` (shared by the heads) ->
    ``[B, h, N, E]``. Requires :func:`available`.
    """
    kernel = _kernel()
    if kernel is None:
        raise RuntimeError("folded attention needs its compiled kernel; check available()")
    batch, heads, queries, width = q.shape
    out = q.new_empty((batch, heads, queries, memory.shape[-1]), dtype=torch.float32)
    scale = width**-0.5
    for b in range(batch):
        values = memory[b].float().contiguous()  # [M, E]
        for h in range(heads):
            keys_t = k[b, h].float().t().contiguous()  # [M, D] -> [D, M], read block by block
            scaled = q[b, h].float() * scale  # [N, D]
            for start in range(0, queries, QUERY_BLOCK):
                out[b, h, start:start + QUERY_BLOCK] = _query_block(
                    kernel, scaled[start:start + QUERY_BLOCK], keys_t, values
                )
    return out


def _query_block(
    kernel: ctypes.CDLL, q: torch.Tensor, keys_t: torch.Tensor, values: torch.Tensor
) -> torch.Tensor:
    """Online softmax over key blocks for ``q [n, D]`` against ``keys_t [D, M]``, ``values [M,
    E]`` -> ``[n, E]``."""
    rows = q.shape[0]
    acc = q.new_zeros((rows, values.shape[1]))
    row_max = q.new_full((rows,), -3.0e38)
    row_sum = q.new_zeros(rows)
    alpha = q.new_empty(rows)
    for first in range(0, keys_t.shape[1], KEY_BLOCK):
        scores = torch.mm(q, keys_t[:, first:first + KEY_BLOCK])  # [n, block], contiguous
        kernel.softmax_block(scores.data_ptr(), rows, scores.shape[1], scores.stride(0),
                             row_max.data_ptr(), row_sum.data_ptr(), alpha.data_ptr())
        acc.mul_(alpha[:, None]).addmm_(scores, values[first:first + KEY_BLOCK])
    return acc.div_(row_sum[:, None])


@functools.cache
def _kernel() -> ctypes.CDLL | None:
    if os.environ.get("SAM2_NO_NATIVE"):
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    # -march=native code only runs where it was built: key the cache by the CPU's flags too.
    identity = "\n".join([_SOURCE, compiler, *_FLAGS, *_LIBS, *sorted(cpu_flags() or ())])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    library = _cache_dir() / f"softmax_block-{digest}.so"
    try:
        if not library.exists():
            _build(compiler, library)
        kernel = ctypes.CDLL(str(library))
    except (OSError, subprocess.SubprocessError):
        return None
    kernel.softmax_block.restype = None
    kernel.softmax_block.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                                     ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_void_p]
    return kernel


def _build(compiler: str, library: Path) -> None:
    """Compile the routine into ``library`` (atomically: concurrent builders may race)."""
    library.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
        source = Path(tmp) / "softmax_block.c"
        source.write_text(_SOURCE)
        built = Path(tmp) / library.name
        subprocess.run([compiler, *_FLAGS, "-o", str(built), str(source), *_LIBS], check=True,
                       capture_output=True, timeout=120)
        os.replace(built, library)


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "sam2-kernels"
