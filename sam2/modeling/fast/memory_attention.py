"""A faster executor for the weights of a :class:`~sam2.modeling.memory_attention.MemoryAttention`.

Same inputs and outputs as the module, same maths, less work:

* the first layer's self-attention sees the same frame for every object, so it runs once and
  its result is shared (objects only diverge at the first cross-attention);
* values are folded through the value projection after attention: ``softmax(QK^T)
  (M W_v^T + b_v) = (softmax(QK^T) M) W_v^T + b_v`` because attention rows sum to one, so the
  attention reads the 64-wide memory instead of 256-wide projected values (4x fewer FLOPs in
  ``A V``) and ``W_v`` is pre-multiplied into the output projection. In fp32 on the CPU this
  runs through :mod:`~sam2.modeling.fast.folded_attention` (a compiled online-softmax step); where
  that is unavailable, and on GPUs, fp32 keeps projected values in PyTorch SDPA, whose fused
  kernel needs equal q/v widths.
* q/k/v of self-attention come from one fused projection; rotary tables (complex, as the
  reference applies them) are built once per grid and repeat count.

``precision="fp32"`` agrees with the module up to float reassociation. ``precision="bf16"`` runs
the projections, MLP and the attention matmuls in bf16 with an fp32 softmax over query chunks
(residual stream and layer norms stay fp32); it pays off on CPUs with native bf16 matmuls
(avx512_bf16 / AMX) and on GPUs.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F

from sam2.modeling.attention import bf16_attention
from sam2.modeling.fast.folded_attention import available as folded_attention_available
from sam2.modeling.fast.folded_attention import folded_attention
from sam2.modeling.fast.fused_linear import linear
from sam2.modeling.memory_attention import (
    MemoryAttention,
    MemoryAttentionLayer,
    batch_first,
    single_level,
)
from sam2.modeling.position_encoding import RotaryEncoding2d
from sam2.modeling.weight_cache import DerivedCache
from sam2.precision import PRECISIONS


class FastMemoryAttention:
    """Callable with ``MemoryAttention.forward``'s signature, built on ``module``'s weights.

    ``curr [HW, B, C]`` (or a one-element list; rows may be a broadcast view of one frame),
    ``memory``/``memory_pos`` ``[M, B, C_mem]`` whose last ``num_obj_ptr_tokens`` tokens are
    object pointers -> ``[HW, B, C]`` float32. ``chunk``: queries per bf16 score block;
    ``object_chunk``: objects per pass on CPU.
    """

    def __init__(
        self,
        module: MemoryAttention,
        precision: str = "fp32",
        chunk: int = 256,
        object_chunk: int = 1,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
        self.module = module
        self.dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self.chunk = chunk
        self.object_chunk = object_chunk
        self._weights: DerivedCache[dict[str, torch.Tensor]] = DerivedCache()
        self._tables: dict[tuple[int, int, int, torch.device], torch.Tensor] = {}

    # ------------------------------------------------------------------ weights

    def _layer_weights(self, index: int, layer: MemoryAttentionLayer) -> dict[str, torch.Tensor]:
        """Fused/folded weights of one layer in the working dtype (recomputed whenever the
        layer's parameters change: ``load_state_dict``, ``.to()``, new parameters)."""
        return self._weights.get(index, tuple(layer.parameters()),
                                 lambda: self._fuse_layer_weights(layer))

    def _fuse_layer_weights(self, layer: MemoryAttentionLayer) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            sa, ca = layer.self_attn, layer.cross_attn_image
            heads, width = ca.num_heads, ca.internal_dim // ca.num_heads
            # out_proj(W_v a_h + b_v) per head h -> one [C, heads * C_mem] matrix on the
            # concatenated per-head attention outputs over raw memory.
            folded = [
                ca.out_proj.weight[:, h * width:(h + 1) * width] @ ca.v_proj.weight[
                    h * width:(h + 1) * width]
                for h in range(heads)
            ]
            weights = {
                "sa_qkv_w": torch.cat([sa.q_proj.weight, sa.k_proj.weight, sa.v_proj.weight]),
                "sa_qkv_b": torch.cat([sa.q_proj.bias, sa.k_proj.bias, sa.v_proj.bias]),
                "sa_out_w": sa.out_proj.weight,
                "sa_out_b": sa.out_proj.bias,
                "ca_q_w": ca.q_proj.weight,
                "ca_q_b": ca.q_proj.bias,
                "ca_k_w": ca.k_proj.weight,
                "ca_k_b": ca.k_proj.bias,
                "ca_v_w": ca.v_proj.weight,
                "ca_v_b": ca.v_proj.bias,
                "ca_out_w": ca.out_proj.weight,
                "ca_out_b": ca.out_proj.bias,
                "ca_ov_w": torch.cat(folded, dim=1),
                "ca_ov_b": ca.out_proj.weight @ ca.v_proj.bias + ca.out_proj.bias,
                "mlp1_w": layer.linear1.weight,
                "mlp1_b": layer.linear1.bias,
                "mlp2_w": layer.linear2.weight,
                "mlp2_b": layer.linear2.bias,
            }
            return {k: v.detach().to(self.dtype) for k, v in weights.items()}

    def _rotary(self, tokens: int, head_dim: int, repeats: int, device: torch.device,
                theta: float) -> torch.Tensor:
        """Complex rotary table ``[repeats * tokens, head_dim / 2]`` for a square token grid."""
        key = (tokens, head_dim, repeats, device)
        if key not in self._tables:
            side = round(tokens**0.5)
            if side * side != tokens:
                raise ValueError(f"rotary attention needs a square grid, got {tokens} tokens")
            cos, sin = RotaryEncoding2d(head_dim, theta=theta).tables(side, side, device)
            self._tables[key] = torch.complex(cos, sin).repeat(repeats, 1)
        return self._tables[key]

    # ------------------------------------------------------------------ forward

    def __call__(
        self,
        curr: torch.Tensor | list[torch.Tensor],
        memory: torch.Tensor,
        curr_pos: torch.Tensor | list[torch.Tensor] | None = None,
        memory_pos: torch.Tensor | None = None,
        num_obj_ptr_tokens: int = 0,
    ) -> torch.Tensor:
        curr, curr_pos = single_level(curr, curr_pos)
        batch = memory.shape[1]
        shared = curr.shape[1] == 1 or curr.stride(1) == 0
        if shared:
            curr = curr[:, :1]
            curr_pos = curr_pos[:, :1] if curr_pos is not None else None
        x, memory, memory_pos = batch_first(
            curr, curr_pos, memory, memory_pos, bool(self.module.pos_enc_at_input)
        )  # [b, HW, C], [B, M, C_mem], [B, M, C_mem]
        x = x.float()
        keys = memory + memory_pos if memory_pos is not None else memory
        # ``nn.ModuleList`` is untyped; ``MemoryAttention`` fills it with MemoryAttentionLayers.
        layers = cast("list[MemoryAttentionLayer]", list(self.module.layers))
        if shared:  # the first self-attention sees the same frame for every object: run it once
            x = x + self._self_attention(layers[0], self._layer_weights(0, layers[0]),
                                         layers[0].norm1(x))
        # On CPU, objects go one at a time through the rest: the same FLOPs, but activations
        # (e.g. the [N, 2048] MLP hidden) stay in cache; GPUs take them all at once.
        step = batch if memory.is_cuda else self.object_chunk
        outputs = []
        for first in range(0, batch, step):
            part = slice(first, first + step)
            y = x if x.shape[0] == 1 else x[part]
            for index, layer in enumerate(layers):
                weights = self._layer_weights(index, layer)
                if index > 0 or not shared:
                    y = y + self._self_attention(layer, weights, layer.norm1(y))
                y = y + self._cross_attention(layer, weights, layer.norm2(y), memory[part],
                                              keys[part], num_obj_ptr_tokens)
                hidden = self._linear(layer.norm3(y), weights["mlp1_w"], weights["mlp1_b"], "relu")
                y = y + self._linear(hidden, weights["mlp2_w"], weights["mlp2_b"])
            outputs.append(self.module.norm(y))
        out = torch.cat(outputs) if len(outputs) > 1 else outputs[0]
        return out.transpose(0, 1)  # [B, HW, C] -> [HW, B, C]

    def _linear(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, activation: str = "none"
    ) -> torch.Tensor:
        return linear(x.to(self.dtype), weight, bias, activation).float()

    def _self_attention(
        self, layer: MemoryAttentionLayer, weights: dict[str, torch.Tensor], normed: torch.Tensor
    ) -> torch.Tensor:
        attn = layer.self_attn
        heads = attn.num_heads
        q, k, v = F.linear(normed.to(self.dtype), weights["sa_qkv_w"], weights["sa_qkv_b"]).chunk(
            3, dim=-1
        )  # each [b, N, C]
        table = self._rotary(q.shape[1], attn.internal_dim // heads, 1, q.device,
                             attn.rotary.theta)
        q, k = _rotate(_heads(q, heads), table), _rotate(_heads(k, heads), table)
        out = self._attend(q, k, _heads(v, heads).to(self.dtype))  # [b, heads, N, D]
        out = out.transpose(1, 2).flatten(2)  # [b, heads, N, D] -> [b, N, C]
        return self._linear(out, weights["sa_out_w"], weights["sa_out_b"])

    def _cross_attention(
        self,
        layer: MemoryAttentionLayer,
        weights: dict[str, torch.Tensor],
        normed: torch.Tensor,
        memory: torch.Tensor,
        keys: torch.Tensor,
        num_ptr_tokens: int,
    ) -> torch.Tensor:
        attn = layer.cross_attn_image
        heads = attn.num_heads
        head_dim = attn.internal_dim // heads
        batch = memory.shape[0]
        q = _heads(F.linear(normed.to(self.dtype), weights["ca_q_w"], weights["ca_q_b"]), heads)
        q = _rotate(q, self._rotary(q.shape[2], head_dim, 1, q.device, attn.rotary.theta))
        k = _heads(F.linear(keys.to(self.dtype), weights["ca_k_w"], weights["ca_k_b"]), heads)
        spatial = k.shape[2] - num_ptr_tokens
        if spatial > 0:
            repeats = spatial // q.shape[2]
            table = self._rotary(q.shape[2], head_dim, repeats, q.device, attn.rotary.theta)
            k[:, :, :spatial] = _rotate(k[:, :, :spatial], table)  # k is ours: rotate in place
        q = q.expand(batch, -1, -1, -1)
        folded = self.dtype == torch.float32 and not q.is_cuda and folded_attention_available()
        if self._fused(q) and not folded:
            values = _heads(F.linear(memory, weights["ca_v_w"], weights["ca_v_b"]), heads)
            out = self._attend(q, k, values)  # [B, heads, N, D]
            out = out.transpose(1, 2).flatten(2)  # [B, heads, N, D] -> [B, N, C]
            return self._linear(out, weights["ca_out_w"], weights["ca_out_b"])
        if folded:
            out = folded_attention(q, k, memory)  # [B, heads, N, C_mem]
        else:
            values = memory.to(self.dtype).unsqueeze(1).expand(-1, heads, -1, -1)  # [B, h, M, C]
            out = self._attend(q, k, values)  # [B, heads, N, C_mem]
        out = out.transpose(1, 2).flatten(2)  # [B, heads, N, C_mem] -> [B, N, heads * C_mem]
        return self._linear(out, weights["ca_ov_w"], weights["ca_ov_b"])

    def _fused(self, q: torch.Tensor) -> bool:
        """Whether attention runs as PyTorch SDPA (fp32, or any GPU) rather than bf16 chunks."""
        return self.dtype == torch.float32 or q.is_cuda

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``softmax(q k^T / sqrt(D)) v`` for ``q [B, h, N, D]``, ``k [B, h, M, D]``, ``v [B, h,
        M, E]`` -> ``[B, h, N, E]`` float32: PyTorch SDPA in fp32 (or on a GPU), else
        :func:`~sam2.modeling.attention.bf16_attention` with ``chunk`` queries per block."""
        if self._fused(q):
            return F.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype)).float()
        return bf16_attention(q, k, v, self.chunk).float()


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """``[B, N, h * D]`` -> ``[B, h, N, D]``."""
    return x.unflatten(-1, (heads, -1)).transpose(1, 2)


def _rotate(x: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Rotary encoding as a complex product: pairs ``(2i, 2i+1)`` of ``x [B, h, N, D]`` times
    ``table [N, D/2]``; returns ``x``'s dtype."""
    pairs = torch.view_as_complex(x.float().unflatten(-1, (-1, 2)))  # [B, h, N, D/2] complex
    return torch.view_as_real(pairs * table).flatten(-2).to(x.dtype)  # -> [B, h, N, D]
