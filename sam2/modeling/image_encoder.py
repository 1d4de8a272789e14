"""Image encoder: the Hiera trunk followed by an FPN neck that projects every stage to ``d_model``
channels, adds top-down features on chosen levels, and attaches sine position encodings."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sam2.modeling.hiera import Hiera
from sam2.modeling.position_encoding import PositionEmbeddingSine


class FpnNeck(nn.Module):
    """Feature pyramid over trunk outputs ``[B, C_i, H_i, W_i]`` (highest resolution first).

    Each level gets a 1x1 lateral projection to ``d_model``; levels in ``fpn_top_down_levels``
    also add the 2x-upsampled result of the level below them. Returns ``(features, pos)``, two
    lists of ``[B, d_model, H_i, W_i]`` in the trunk's order. Position encodings are read-only
    cached views.
    """

    def __init__(
        self,
        position_encoding: PositionEmbeddingSine,
        d_model: int,
        backbone_channel_list: list[int],
        fpn_top_down_levels: list[int],
        fpn_interp_model: str = "nearest",
        num_pos_levels: int | None = None,
    ) -> None:
        super().__init__()
        self.position_encoding = position_encoding
        self.d_model = d_model
        self.backbone_channel_list = list(backbone_channel_list)
        self.convs = nn.ModuleList()
        for dim in backbone_channel_list:
            lateral = nn.Sequential()
            lateral.add_module("conv", nn.Conv2d(dim, d_model, kernel_size=1))
            self.convs.append(lateral)
        self.fpn_top_down_levels = list(fpn_top_down_levels)
        self.fpn_interp_model = fpn_interp_model
        # Only the first ``num_pos_levels`` levels need encodings (the rest are discarded).
        self.num_pos_levels = len(self.convs) if num_pos_levels is None else num_pos_levels

    def forward(self, xs: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        last = len(self.convs) - 1
        features: list[torch.Tensor] = [None] * len(xs)  # type: ignore[list-item]
        positions: list[torch.Tensor] = [None] * len(xs)  # type: ignore[list-item]
        previous = None
        for level in range(last, -1, -1):
            lateral = self.convs[last - level](xs[level])
            if previous is not None and level in self.fpn_top_down_levels:
                top_down = F.interpolate(
                    previous.float(),
                    scale_factor=2.0,
                    mode=self.fpn_interp_model,
                    align_corners=None if self.fpn_interp_model == "nearest" else False,
                )
                previous = lateral + top_down
            else:
                previous = lateral
            features[level] = previous
            if level < self.num_pos_levels:
                positions[level] = self.position_encoding(previous).to(previous.dtype)
        return features, positions


class ImageEncoder(nn.Module):
    """Trunk + neck: ``[B, 3, S, S]`` -> dict with

    - ``backbone_fpn``: list of ``[B, d_model, S/4, S/4]``, ``[B, d_model, S/8, S/8]``,
      ``[B, d_model, S/16, S/16]`` (after dropping ``scalp`` lowest-resolution levels);
    - ``vision_pos_enc``: their sine position encodings (same shapes);
    - ``vision_features``: the last (lowest-resolution) entry of ``backbone_fpn``.
    """

    def __init__(self, trunk: Hiera, neck: FpnNeck, scalp: int = 0) -> None:
        super().__init__()
        if list(trunk.channel_list) != list(neck.backbone_channel_list):
            raise ValueError(
                f"trunk channels {trunk.channel_list} != neck {neck.backbone_channel_list}"
            )
        self.trunk = trunk
        self.neck = neck
        self.scalp = scalp

    def forward(self, sample: torch.Tensor) -> dict:
        features, positions = self.neck(self.trunk(sample))
        if self.scalp > 0:
            features, positions = features[: -self.scalp], positions[: -self.scalp]
        return {
            "vision_features": features[-1],
            "vision_pos_enc": positions,
            "backbone_fpn": features,
        }
