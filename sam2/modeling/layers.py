"""Small building blocks shared by several boxes of the model: an MLP and a channel LayerNorm."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from sam2.modeling.fast.fused_linear import activation_name, linear


class MLP(nn.Module):
    """``num_layers`` linear layers with an activation between them: ``[..., in] -> [..., out]``.

    Parameters live in ``layers.<i>`` (the checkpoint key layout); ``sigmoid_output`` squashes
    the result into (0, 1).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        output_dim: int,
        num_layers: int,
        activation: type[nn.Module] = nn.ReLU,
        sigmoid_output: bool = False,
    ) -> None:
        super().__init__()
        widths = [input_dim] + [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in itertools.pairwise(widths)
        )
        self.act = activation()
        self.sigmoid_output = sigmoid_output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        fused = activation_name(self.act)
        # ``nn.ModuleList`` is untyped; ``__init__`` fills it with Linears.
        for index, layer in enumerate(cast("Iterable[nn.Linear]", self.layers)):
            if index == last:
                x = linear(x, layer.weight, layer.bias)
            elif fused is not None:
                x = linear(x, layer.weight, layer.bias, fused)
            else:
                x = self.act(layer(x))
        return torch.sigmoid(x) if self.sigmoid_output else x


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of ``[B, C, H, W]`` maps (per pixel), with affine weights."""

    def __init__(self, num_channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` -> ``[B, C, H, W]`` in channels-last memory order (one fused pass
        instead of six elementwise ones; convolutions and pointwise linears downstream read that
        order without a copy)."""
        channels_last = x.permute(0, 2, 3, 1)  # [B, C, H, W] -> [B, H, W, C]
        normed = F.layer_norm(channels_last, (x.shape[1],), self.weight, self.bias, self.eps)
        return normed.permute(0, 3, 1, 2)  # [B, H, W, C] -> [B, C, H, W]
