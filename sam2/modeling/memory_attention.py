"""Memory attention: the current frame's features self-attend (with RoPE), then cross-attend to
the memory bank (spatial memories with RoPE, object pointers without), then an MLP; a stack of
such layers conditions the frame on past predictions."""

from __future__ import annotations

import torch
from torch import nn

from sam2.modeling.attention import RoPEAttention
from sam2.modeling.fast.fused_linear import linear


def single_level(
    curr: torch.Tensor | list[torch.Tensor], curr_pos: torch.Tensor | list[torch.Tensor] | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Memory attention's inputs as tensors: the official callers pass one-element lists."""
    if isinstance(curr, list):
        if len(curr) != 1:
            raise ValueError("memory attention takes a single feature level")
        curr = curr[0]
    if isinstance(curr_pos, list):
        curr_pos = curr_pos[0]
    return curr, curr_pos


def batch_first(
    curr: torch.Tensor,
    curr_pos: torch.Tensor | None,
    memory: torch.Tensor,
    memory_pos: torch.Tensor | None,
    pos_enc_at_input: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The layers' inputs from sequence-first ones: ``curr [HW, B, C]`` (plus ``0.1 * curr_pos``
    when ``pos_enc_at_input``), ``memory``/``memory_pos`` ``[M, B, C_mem]`` -> ``[B, HW, C]``,
    ``[B, M, C_mem]``, ``[B, M, C_mem]`` (views)."""
    if pos_enc_at_input and curr_pos is not None:
        curr = curr + 0.1 * curr_pos
    if memory_pos is not None:
        memory_pos = memory_pos.transpose(0, 1)  # [M, B, C_mem] -> [B, M, C_mem]
    # [HW, B, C] -> [B, HW, C]; [M, B, C_mem] -> [B, M, C_mem]
    return curr.transpose(0, 1), memory.transpose(0, 1), memory_pos


class MemoryAttentionLayer(nn.Module):
    """Pre-norm self-attention, cross-attention to memory, and feed-forward on ``[B, N, d_model]``.

    Position encodings are added to the cross-attention keys only (the official configuration).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dim_feedforward: int,
        kv_in_dim: int,
        rope_theta: float,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.self_attn = RoPEAttention(
            d_model, num_heads, downsample_rate=1, dropout=dropout, rope_theta=rope_theta
        )
        self.cross_attn_image = RoPEAttention(
            d_model,
            num_heads,
            downsample_rate=1,
            dropout=dropout,
            kv_in_dim=kv_in_dim,
            rope_theta=rope_theta,
            rope_k_repeat=True,
        )
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(
        self,
        tgt: torch.Tensor,
        memory: torch.Tensor,
        pos: torch.Tensor | None = None,
        num_k_exclude_rope: int = 0,
    ) -> torch.Tensor:
        """``tgt [B, N, d_model]``, ``memory``/``pos`` ``[B, M, kv_in_dim]`` -> ``[B, N, d_model]``.

        The official configuration adds no position terms to the queries, so none are taken.
        """
        normed = self.norm1(tgt)
        tgt = tgt + self.dropout1(self.self_attn(normed, normed, v=normed))
        normed = self.norm2(tgt)
        keys = memory + pos if pos is not None else memory
        attended = self.cross_attn_image(
            q=normed, k=keys, v=memory, num_k_exclude_rope=num_k_exclude_rope
        )
        tgt = tgt + self.dropout2(attended)
        hidden = linear(self.norm3(tgt), self.linear1.weight, self.linear1.bias, "relu")
        hidden = self.linear2(self.dropout(hidden))
        return tgt + self.dropout3(hidden)


class MemoryAttention(nn.Module):
    """A stack of :class:`MemoryAttentionLayer` plus a final LayerNorm, sequence-first in and out.

    ``forward(curr [HW, B, C] (or a one-element list), memory [M, B, C_mem],
    curr_pos [HW, B, C], memory_pos [M, B, C_mem], num_obj_ptr_tokens)`` -> ``[HW, B, C]``.
    The last ``num_obj_ptr_tokens`` memory tokens are object pointers (no rotary encoding).
    """

    def __init__(
        self,
        d_model: int,
        num_layers: int,
        num_heads: int,
        dim_feedforward: int,
        kv_in_dim: int,
        rope_theta: float,
        pos_enc_at_input: bool = True,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.num_layers = num_layers
        self.pos_enc_at_input = pos_enc_at_input
        self.layers = nn.ModuleList(
            MemoryAttentionLayer(d_model, num_heads, dim_feedforward, kv_in_dim, rope_theta)
            for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model)

    def forward(
        self,
        curr: torch.Tensor | list[torch.Tensor],
        memory: torch.Tensor,
        curr_pos: torch.Tensor | list[torch.Tensor] | None = None,
        memory_pos: torch.Tensor | None = None,
        num_obj_ptr_tokens: int = 0,
    ) -> torch.Tensor:
        curr, curr_pos = single_level(curr, curr_pos)
        if curr.shape[1] != memory.shape[1]:
            raise ValueError("current features and memory must have the same batch size")
        output, memory, memory_pos = batch_first(
            curr, curr_pos, memory, memory_pos, self.pos_enc_at_input
        )
        for layer in self.layers:
            output = layer(output, memory, pos=memory_pos, num_k_exclude_rope=num_obj_ptr_tokens)
        return self.norm(output).transpose(0, 1)  # [B, HW, C] -> [HW, B, C]
