"""Linear layers with their bias and activation fused into the matmul, for inference on CPU.

``F.linear`` on CPU first broadcasts the bias into the output, then accumulates the matmul onto
it, and the activation is a third pass over the result. For the wide hidden layers of the image
encoder's MLPs (``[65536, 384]`` at 1024 px) those passes cost as much as the matmul itself. oneDNN
(PyTorch's ``mkldnn`` backend) applies bias and ReLU/GELU in the matmul's epilogue instead, while
the result is still in cache. The arithmetic per element is the same (exact erf GELU); only the
summation order inside the dot products may differ (about 1e-6 relative).

Everywhere else (GPU, autograd, a build without oneDNN, bfloat16 on a CPU without oneDNN's
bf16 kernels, code being compiled by ``torch.compile``) :func:`linear` is exactly
``activation(F.linear(x, weight, bias))``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = ("none", "relu", "gelu")

_FUSED = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)


def activation_name(module: nn.Module) -> str | None:
    """The fusable name of an activation module (``"relu"``, ``"gelu"``), else ``None``."""
    if isinstance(module, nn.ReLU):
        return "relu"
    if isinstance(module, nn.GELU) and module.approximate == "none":
        return "gelu"
    return None


def linear(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    activation: str = "none",
) -> torch.Tensor:
    """``activation(x @ weight.T + bias)``: ``x [..., in]``, ``weight [out, in]`` -> ``[..., out]``.

    ``activation`` is one of :data:`ACTIVATIONS`. On CPU without autograd, in float32 or bfloat16
    (the weights are cast to ``x``'s dtype, as autocast would), it runs as one oneDNN call.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    fused = _fused_op(x, weight)
    if fused is not None:
        weight = weight.to(x.dtype)
        bias = bias.to(x.dtype) if bias is not None else None
        algorithm = "none" if activation == "gelu" else ""
        return fused(x, weight, bias, activation, [], algorithm)
    out = F.linear(x, weight, bias)
    if activation == "relu":
        return F.relu(out)
    if activation == "gelu":
        return F.gelu(out)
    return out


def _fused_op(x: torch.Tensor, weight: torch.Tensor) -> Callable[..., torch.Tensor] | None:
    """oneDNN's fused linear when it can take ``x`` and ``weight``, else ``None``."""
    # Under torch.compile (``vos_optimized``) the compiler fuses bias and activation itself; it
    # cannot lower this op on weights it does not own.
    usable = (
        not torch.compiler.is_compiling()
        and x.device.type == "cpu"
        and (x.dtype == torch.float32 or (x.dtype == torch.bfloat16 and bf16_kernels()))
        and torch.backends.mkldnn.is_available()
        and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad))
    )
    return _FUSED if usable else None


@functools.cache
def bf16_kernels() -> bool:
    """Whether oneDNN has bfloat16 matmul kernels for this CPU (AVX-512 or newer); without
    them its fused bf16 linear fails, while ``F.linear`` still runs (slowly)."""
    probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(probe()) if probe is not None else False
