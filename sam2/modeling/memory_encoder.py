"""Memory encoder: the predicted mask is downsampled 16x by a strided conv stack, added to the
projected frame features, fused by ConvNeXt blocks and projected to the memory width."""

from __future__ import annotations

import torch
from torch import nn

from sam2.modeling.fast.fused_linear import linear
from sam2.modeling.layers import LayerNorm2d
from sam2.modeling.position_encoding import PositionEmbeddingSine


class MaskDownSampler(nn.Module):
    """``[B, 1, H, W]`` mask -> ``[B, embed_dim, H/16, W/16]`` via four stride-2 convs
    (channels x4 each, LayerNorm2d + GELU) and a 1x1 projection."""

    def __init__(
        self,
        embed_dim: int = 256,
        kernel_size: int = 3,
        stride: int = 2,
        padding: int = 1,
        total_stride: int = 16,
    ) -> None:
        super().__init__()
        num_layers = 0
        while stride ** (num_layers + 1) <= total_stride:
            num_layers += 1
        if stride**num_layers != total_stride:
            raise ValueError("total_stride must be a power of stride")
        self.encoder = nn.Sequential()
        channels = 1
        for _ in range(num_layers):
            out_channels = channels * stride**2
            self.encoder.append(
                nn.Conv2d(channels, out_channels, kernel_size, stride=stride, padding=padding)
            )
            self.encoder.append(LayerNorm2d(out_channels))
            self.encoder.append(nn.GELU())
            channels = out_channels
        self.encoder.append(nn.Conv2d(channels, embed_dim, kernel_size=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


class CXBlock(nn.Module):
    """ConvNeXt block on ``[B, C, H, W]``: depthwise 7x7 conv, LayerNorm, pointwise MLP (x4),
    layer scale ``gamma``, residual."""

    def __init__(self, dim: int, kernel_size: int = 7, padding: int = 3) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=kernel_size, padding=padding, groups=dim)
        self.norm = LayerNorm2d(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x)).permute(0, 2, 3, 1)  # [B, C, H, W] -> [B, H, W, C]
        hidden = linear(y, self.pwconv1.weight, self.pwconv1.bias, "gelu")
        y = self.gamma * linear(hidden, self.pwconv2.weight, self.pwconv2.bias)
        return x + y.permute(0, 3, 1, 2)  # [B, H, W, C] -> [B, C, H, W]


class Fuser(nn.Module):
    """A stack of :class:`CXBlock` on ``[B, C, H, W]``."""

    def __init__(self, dim: int, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(CXBlock(dim) for _ in range(num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class MemoryEncoder(nn.Module):
    """Encode a frame and its mask into a memory.

    ``forward(pix_feat [B, in_dim, h, w], masks [B, 1, 16h, 16w], skip_mask_sigmoid)`` returns
    ``{"vision_features": [B, out_dim, h, w], "vision_pos_enc": [[B, out_dim, h, w]]}``; the
    position encoding is a read-only cached view.
    """

    def __init__(self, out_dim: int, in_dim: int = 256, fuser_num_layers: int = 2) -> None:
        super().__init__()
        self.mask_downsampler = MaskDownSampler(embed_dim=in_dim)
        self.pix_feat_proj = nn.Conv2d(in_dim, in_dim, kernel_size=1)
        self.fuser = Fuser(in_dim, fuser_num_layers)
        self.position_encoding = PositionEmbeddingSine(out_dim)
        self.out_proj = (
            nn.Conv2d(in_dim, out_dim, kernel_size=1) if out_dim != in_dim else nn.Identity()
        )

    def forward(
        self, pix_feat: torch.Tensor, masks: torch.Tensor, skip_mask_sigmoid: bool = False
    ) -> dict:
        if not skip_mask_sigmoid:
            masks = torch.sigmoid(masks)
        masks = self.mask_downsampler(masks)
        pix_feat = pix_feat.to(masks.device)
        if pix_feat.shape[0] > 1 and pix_feat.stride(0) == 0:
            # Every object's row is the same frame (a broadcast view): project it once.
            pix_feat = pix_feat[:1]
        x = self.pix_feat_proj(pix_feat) + masks  # [B, in_dim, h, w]
        x = self.out_proj(self.fuser(x)).contiguous()
        pos = self.position_encoding(x).to(x.dtype)
        return {"vision_features": x, "vision_pos_enc": [pos]}
