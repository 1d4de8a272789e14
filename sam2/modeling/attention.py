"""Multi-head attention with separate q/k/v projections (two-way transformer, memory attention),
optionally with 2-D rotary position encoding on queries and keys."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sam2.modeling.position_encoding import RotaryEncoding2d


def bf16_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, chunk: int = 256
) -> torch.Tensor:
    """Softmax attention from bfloat16 matmuls with a float32-accumulated softmax: ``q [..., Nq,
    D]``, ``k [..., Nk, D]``, ``v [..., Nk, E]`` -> ``[..., Nq, E]`` in bfloat16.

    CPU SDPA gains nothing from bf16 inputs, while bf16 matmuls run about 3.5x faster than
    fp32 on CPUs with avx512_bf16/AMX. Queries go ``chunk`` at a time so that each score block
    stays in cache. The scale is applied to the queries in fp32 before rounding, keys are
    transposed once (a transposed view would be copied by every chunk's matmul), and the
    softmax reads bf16 scores and writes bf16 probabilities while accumulating in fp32.
    """
    q = (q.float() * q.shape[-1] ** -0.5).bfloat16()
    k_t = k.bfloat16().transpose(-2, -1).contiguous()  # [..., Nk, D] -> [..., D, Nk]
    v = v.bfloat16()
    out = q.new_empty((*q.shape[:-1], v.shape[-1]))
    for start in range(0, q.shape[-2], chunk):
        scores = q[..., start : start + chunk, :] @ k_t  # [..., c, Nk]
        out[..., start : start + chunk, :] = torch.softmax(scores, dim=-1) @ v
    return out


class Attention(nn.Module):
    """Attention whose projections may shrink the width by ``downsample_rate``.

    ``q [B, Nq, embedding_dim]``, ``k, v [B, Nk, kv_in_dim]`` -> ``[B, Nq, embedding_dim]``.
    """

    def __init__(
        self,
        embedding_dim: int,
        num_heads: int,
        downsample_rate: int = 1,
        dropout: float = 0.0,
        kv_in_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.embedding_dim = embedding_dim
        self.kv_in_dim = kv_in_dim if kv_in_dim is not None else embedding_dim
        self.internal_dim = embedding_dim // downsample_rate
        self.num_heads = num_heads
        if self.internal_dim % num_heads:
            raise ValueError("num_heads must divide the attention's internal width")
        self.q_proj = nn.Linear(embedding_dim, self.internal_dim)
        self.k_proj = nn.Linear(self.kv_in_dim, self.internal_dim)
        self.v_proj = nn.Linear(self.kv_in_dim, self.internal_dim)
        self.out_proj = nn.Linear(self.internal_dim, embedding_dim)
        self.dropout_p = dropout

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        # [B, N, heads * D] -> [B, N, heads, D] -> [B, heads, N, D]
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def _project(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (
            self._split_heads(self.q_proj(q)),
            self._split_heads(self.k_proj(k)),
            self._split_heads(self.v_proj(v)),
        )

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        dropout = self.dropout_p if self.training else 0.0
        if q.shape[0] == 1 < k.shape[0]:
            q = q.expand(k.shape[0], -1, -1, -1)  # one query set (a shared image) for every batch
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout)  # [B, heads, Nq, D]
        out = out.transpose(1, 2).flatten(2)  # [B, heads, Nq, D] -> [B, Nq, heads * D]
        return self.out_proj(out)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self._attend(*self._project(q, k, v))


class RoPEAttention(Attention):
    """Attention with axial 2-D rotary encoding on queries and keys.

    Queries form a square grid of ``Nq`` tokens; keys are ``r * Nq`` grid tokens (several
    memory frames, when ``rope_k_repeat``) followed by ``num_k_exclude_rope`` tokens that are
    not rotated (object pointers).
    """

    def __init__(
        self,
        embedding_dim: int,
        num_heads: int,
        downsample_rate: int = 1,
        dropout: float = 0.0,
        kv_in_dim: int | None = None,
        *,
        rope_theta: float = 10000.0,
        rope_k_repeat: bool = False,
    ) -> None:
        super().__init__(embedding_dim, num_heads, downsample_rate, dropout, kv_in_dim)
        self.rope_k_repeat = rope_k_repeat
        self.rotary = RotaryEncoding2d(self.internal_dim // self.num_heads, theta=rope_theta)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, num_k_exclude_rope: int = 0
    ) -> torch.Tensor:
        q, k, v = self._project(q, k, v)
        side = round(q.shape[-2] ** 0.5)
        if side * side != q.shape[-2]:
            raise ValueError(
                f"rotary attention needs a square query grid, got {q.shape[-2]} tokens"
            )
        if q.shape[-2] != k.shape[-2] and not self.rope_k_repeat:
            raise ValueError("keys longer than queries need rope_k_repeat=True")
        cos, sin = self.rotary.tables(side, side, q.device)
        q = RotaryEncoding2d.rotate(q, cos, sin)
        num_rope = k.shape[-2] - num_k_exclude_rope
        if num_rope > 0:
            rotated = RotaryEncoding2d.rotate(k[:, :, :num_rope], cos, sin)
            k = torch.cat([rotated, k[:, :, num_rope:]], dim=2) if num_k_exclude_rope else rotated
        return self._attend(q, k, v)
