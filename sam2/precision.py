"""The arithmetic choices of the image encoder and the memory attention (a module of its own so
that command lines can offer them without loading the model code)."""

from __future__ import annotations

PRECISIONS = ("fp32", "bf16")
"""``fp32`` matches the official model; ``bf16`` runs the matmuls in bfloat16 (fp32 softmax and
accumulation)."""

PRECISION_CHOICES = ("auto", *PRECISIONS)
"""What a user may ask for: ``auto`` picks bf16 where the hardware multiplies it natively."""


def resolve_precision(requested: str, device_type: str) -> tuple[str, str]:
    """The precision to run and why, for a user's choice on a device (``cpu``, ``cuda``, ``mps``).

    ``auto`` picks ``bf16`` on a CPU with native bf16 (avx512_bf16 or AMX) and ``fp32`` on
    other CPUs and on accelerators, where tracking runs under the device's own autocast (bf16
    on CUDA, as the official code is run there). ``fp32`` and ``bf16`` are taken as asked.

    Returns:
        ``(precision, reason)``: one of :data:`PRECISIONS`, and a few words for the progress line.
    """
    if requested not in PRECISION_CHOICES:
        raise ValueError(f"precision must be one of {list(PRECISION_CHOICES)}, got {requested!r}")
    if requested != "auto":
        return requested, "as asked"
    if device_type == "cuda":
        return "fp32", "auto: CUDA tracks under bf16 autocast"
    if device_type != "cpu":
        return "fp32", f"auto: exact arithmetic on {device_type}"
    from sam2.cpu_features import native_bf16

    if native_bf16():
        return "bf16", "auto: this CPU has native bf16 (avx512_bf16/AMX); --precision fp32 is exact"
    return "fp32", "auto: this CPU has no native bf16 (avx512_bf16/AMX)"
