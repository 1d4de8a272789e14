"""Small building blocks shared by several boxes of the model: an MLP and a channel LayerNorm."""

from __future__ import annotations

import itertools

import torch
from torch import nn

from sam2.modeling.fused_linear import activation_name, linear


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
        for index, layer in enumerate(self.layers):
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
        centred = x - x.mean(dim=1, keepdim=True)
        variance = centred.pow(2).mean(dim=1, keepdim=True)
        normed = centred / torch.sqrt(variance + self.eps)
        return self.weight[:, None, None] * normed + self.bias[:, None, None]
