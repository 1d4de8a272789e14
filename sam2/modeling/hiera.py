"""Hiera trunk: a hierarchical ViT with windowed and global attention, query pooling between
stages, and windowed absolute position embeddings (a background embedding interpolated to the
grid plus a tiled per-window embedding).

Input ``[B, 3, S, S]``; outputs one ``[B, C_i, S/4/2^i, S/4/2^i]`` map per stage, highest
resolution first (C_i = embed_dim * 2^i).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sam2.modeling.attention import bf16_attention
from sam2.modeling.fast.fused_linear import linear
from sam2.modeling.layers import MLP
from sam2.modeling.weight_cache import DerivedCache


def window_partition(x: torch.Tensor, window: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """``[B, H, W, C]`` -> ``[B * nWin, window, window, C]`` (zero-padded to whole windows) and the
    padded size ``(Hp, Wp)``."""
    b, h, w, c = x.shape
    pad_h = (window - h % window) % window
    pad_w = (window - w % window) % window
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // window, window, wp // window, window, c)
    # [B, nH, win, nW, win, C] -> [B, nH, nW, win, win, C] -> [B * nWin, win, win, C]
    windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window, window, c)
    return windows, (hp, wp)


def window_unpartition(
    windows: torch.Tensor, window: int, padded_hw: tuple[int, int], hw: tuple[int, int]
) -> torch.Tensor:
    """Inverse of :func:`window_partition`: ``[B * nWin, win, win, C]`` -> ``[B, H, W, C]``."""
    hp, wp = padded_hw
    h, w = hw
    b = windows.shape[0] // ((hp // window) * (wp // window))
    x = windows.view(b, hp // window, wp // window, window, window, -1)
    # [B, nH, nW, win, win, C] -> [B, nH, win, nW, win, C] -> [B, Hp, Wp, C]
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, -1)
    if hp > h or wp > w:
        x = x[:, :h, :w, :]
    return x


def _max_pool_hw(x: torch.Tensor, pool: nn.MaxPool2d) -> torch.Tensor:
    """Max-pool a channels-last map ``[B, H, W, C]`` -> ``[B, H', W', C]``.

    Non-overlapping pooling that tiles the map exactly (always the case in Hiera) is a max over
    a reshaped view, which skips the argmax indices and the layout round trip of ``MaxPool2d``.
    """
    b, h, w, c = x.shape
    kh, kw = _pair(pool.kernel_size)
    if _pair(pool.stride) == (kh, kw) and h % kh == 0 and w % kw == 0 and pool.padding == 0:
        # [B, H, W, C] -> [B, H/kh, kh, W/kw, kw, C]; elementwise max of the kh*kw strided
        # slices (a reduction over two non-adjacent axes is several times slower)
        tiles = x.reshape(b, h // kh, kh, w // kw, kw, c)
        out = tiles[:, :, 0, :, 0]
        for i in range(kh):
            for j in range(kw):
                if i or j:
                    out = torch.maximum(out, tiles[:, :, i, :, j])
        return out
    x = pool(x.permute(0, 3, 1, 2))  # [B, H, W, C] -> [B, C, H, W]
    return x.permute(0, 2, 3, 1)  # [B, C, H', W'] -> [B, H', W', C]


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


class MultiScaleAttention(nn.Module):
    """Self-attention over ``[B, H, W, dim]`` tokens, optionally max-pooling the queries (so the
    output ``[B, H', W', dim_out]`` is downsampled)."""

    def __init__(self, dim: int, dim_out: int, num_heads: int, q_pool: nn.MaxPool2d | None) -> None:
        super().__init__()
        self.dim_out = dim_out
        self.num_heads = num_heads
        self.q_pool = q_pool
        self.qkv = nn.Linear(dim, dim_out * 3)
        self.proj = nn.Linear(dim_out, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        # [B, H, W, 3 * dim_out] -> [B, H*W, 3, heads, D] -> 3 x [B, heads, H*W, D]
        qkv = linear(x, self.qkv.weight, self.qkv.bias).reshape(b, h * w, 3, self.num_heads, -1)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if self.q_pool is not None:
            # [B, heads, H*W, D] -> [B, H, W, heads*D] for pooling, then back to heads.
            q = q.transpose(1, 2).reshape(b, h, w, -1)
            q = _max_pool_hw(q, self.q_pool)
            h, w = q.shape[1:3]
            q = q.reshape(b, h * w, self.num_heads, -1).transpose(1, 2)
        if x.dtype == torch.bfloat16:
            x = bf16_attention(q, k, v)  # [B, heads, H*W, D]
        else:
            x = F.scaled_dot_product_attention(q, k, v)  # [B, heads, H*W, D]
        x = x.transpose(1, 2).reshape(b, h, w, -1)  # [B, heads, H*W, D] -> [B, H, W, dim_out]
        return linear(x, self.proj.weight, self.proj.bias)


class MultiScaleBlock(nn.Module):
    """Pre-norm transformer block on ``[B, H, W, dim]`` maps with windowed (``window_size`` > 0)
    or global attention; with ``q_stride`` it halves the grid and widens to ``dim_out``."""

    def __init__(
        self,
        dim: int,
        dim_out: int,
        num_heads: int,
        q_stride: tuple[int, int] | None,
        window_size: int,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        self.dim = dim
        self.dim_out = dim_out
        self.window_size = window_size
        self.q_stride = q_stride
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.pool = nn.MaxPool2d(kernel_size=q_stride, stride=q_stride) if q_stride else None
        self.attn = MultiScaleAttention(dim, dim_out, num_heads, q_pool=self.pool)
        self.norm2 = nn.LayerNorm(dim_out, eps=1e-6)
        self.mlp = MLP(dim_out, int(dim_out * mlp_ratio), dim_out, num_layers=2, activation=nn.GELU)
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x  # [B, H, W, dim]
        x = self.norm1(x)
        if self.dim != self.dim_out:
            shortcut = linear(x, self.proj.weight, self.proj.bias)
            if self.pool is not None:
                shortcut = _max_pool_hw(shortcut, self.pool)
        window = self.window_size
        if window > 0:
            x, padded = window_partition(x, window)
        x = self.attn(x)
        if window > 0:
            out_h, out_w = shortcut.shape[1:3]
            if self.q_stride:
                # Pooled queries shrink each window; re-derive the padded grid at the new size.
                window = window // self.q_stride[0]
                padded = (
                    out_h + (window - out_h % window) % window,
                    out_w + (window - out_w % window) % window,
                )
            x = window_unpartition(x, window, padded, (out_h, out_w))
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    """7x7 stride-4 convolution: ``[B, 3, S, S]`` -> channels-last ``[B, S/4, S/4, embed_dim]``."""

    def __init__(self, embed_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, embed_dim, kernel_size=7, stride=4, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)  # [B, C, H, W] -> [B, H, W, C]


class Hiera(nn.Module):
    """The Hiera image trunk (see the module docstring for shapes).

    ``stages`` blocks per stage; blocks listed in ``global_att_blocks`` attend globally, the
    others within ``window_spec[stage]`` windows (the first block of a stage still uses the
    previous stage's window, pooled). ``precision="bf16"`` runs the blocks' matmuls in bfloat16
    with an fp32 softmax; outputs are fp32 either way.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        stages: tuple[int, ...],
        global_att_blocks: tuple[int, ...],
        window_pos_embed_bkg_spatial_size: tuple[int, int],
        window_spec: tuple[int, ...],
        q_pool: int = 3,
        q_stride: tuple[int, int] = (2, 2),
        dim_mul: float = 2.0,
        head_mul: float = 2.0,
        precision: str = "fp32",
    ) -> None:
        super().__init__()
        self.window_spec = tuple(window_spec)
        self.stage_ends = [sum(stages[: i + 1]) - 1 for i in range(len(stages))]
        pool_blocks = [end + 1 for end in self.stage_ends[:-1]][:q_pool]
        self.precision = precision
        self.patch_embed = PatchEmbed(embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_dim, *window_pos_embed_bkg_spatial_size))
        self.pos_embed_window = nn.Parameter(
            torch.zeros(1, embed_dim, self.window_spec[0], self.window_spec[0])
        )
        self._pos_cache: DerivedCache[torch.Tensor] = DerivedCache()

        self.blocks = nn.ModuleList()
        dim, heads, stage = embed_dim, num_heads, 0
        for index in range(sum(stages)):
            # The window size lags the stage by one block: it is chosen before the stage advances.
            window = 0 if index in global_att_blocks else self.window_spec[stage]
            dim_out = dim
            if index - 1 in self.stage_ends:
                dim_out = int(dim * dim_mul)
                heads = int(heads * head_mul)
                stage += 1
            self.blocks.append(
                MultiScaleBlock(
                    dim,
                    dim_out,
                    heads,
                    q_stride=_pair(q_stride) if index in pool_blocks else None,
                    window_size=window,
                )
            )
            dim = dim_out
        self.channel_list = [self.blocks[end].dim_out for end in self.stage_ends[::-1]]

    def _position_embedding(self, h: int, w: int, dtype: torch.dtype) -> torch.Tensor:
        """Background embedding resized to ``h x w`` plus the tiled window embedding:
        ``[1, h, w, C]`` (cached until the parameters change)."""

        def compute() -> torch.Tensor:
            background = F.interpolate(self.pos_embed, size=(h, w), mode="bicubic")
            window = self.pos_embed_window
            tiles = (h // window.shape[-2], w // window.shape[-1])
            embedding = background + window.tile(1, 1, *tiles)
            return embedding.permute(0, 2, 3, 1).to(dtype)  # [1, C, h, w] -> [1, h, w, C]

        sources = (self.pos_embed, self.pos_embed_window)
        return self._pos_cache.get((h, w, dtype), sources, compute)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.patch_embed(x)  # [B, H, W, C], a channels-first layout underneath
        # Contiguous channels-last from here on: every LayerNorm would otherwise copy its input.
        x = (x + self._position_embedding(x.shape[1], x.shape[2], x.dtype)).contiguous()
        if self.precision == "bf16":
            # Linear layers run in bf16 under autocast, attention in bf16_attention; the patch
            # embedding stays fp32 (bf16 convolutions have no fast CPU kernel).
            with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
                outputs = self._run_blocks(x.bfloat16())
            return [out.float() for out in outputs]
        return self._run_blocks(x)

    def _run_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = []
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in self.stage_ends:
                outputs.append(x.permute(0, 3, 1, 2))  # [B, H, W, C] -> [B, C, H, W]
        return outputs
