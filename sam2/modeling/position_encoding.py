"""Position encodings: 2-D sine (image features, memories), random Fourier (prompts), 2-D rotary
(memory attention) and the 1-D sine encoding of temporal offsets.

Encodings that depend only on a grid size are cached, so repeated frames of the same size cost
nothing; cached tensors are returned as read-only views (expand, never write into them).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sam2.modeling.weight_cache import DerivedCache


def sine_encoding_1d(
    positions: torch.Tensor, dim: int, temperature: float = 10000.0
) -> torch.Tensor:
    """Transformer-style sine encoding of scalar positions: ``[...] -> [..., dim]``.

    The first half holds sines, the second half cosines, of
    ``positions / temperature**(2 * (i // 2) / (dim / 2))``.
    """
    half = dim // 2
    steps = torch.arange(half, dtype=torch.float32, device=positions.device)
    frequencies = temperature ** (2 * (steps // 2) / half)
    angles = positions.unsqueeze(-1) / frequencies  # [..., half]
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class PositionEmbeddingSine(nn.Module):
    """Normalised 2-D sine encoding of a grid: ``[B, C, H, W] -> [B, num_pos_feats, H, W]``.

    Channels are ``[y-encoding (num_pos_feats/2), x-encoding (num_pos_feats/2)]``, each
    interleaving sin/cos. Holds no parameters; the grid is cached per (H, W, device).
    """

    def __init__(self, num_pos_feats: int, temperature: float = 10000.0) -> None:
        super().__init__()
        if num_pos_feats % 2:
            raise ValueError("PositionEmbeddingSine needs an even number of channels")
        self.num_pos_feats = num_pos_feats // 2
        self.temperature = temperature
        self.scale = 2 * math.pi
        self._cache: dict[tuple[int, int, torch.device], torch.Tensor] = {}

    def _grid(self, height: int, width: int, device: torch.device) -> torch.Tensor:
        """The ``[C, H, W]`` encoding of an ``H x W`` grid (cached)."""
        key = (height, width, device)
        if key not in self._cache:
            eps = 1e-6
            rows = torch.arange(1, height + 1, dtype=torch.float32, device=device)
            cols = torch.arange(1, width + 1, dtype=torch.float32, device=device)
            rows = rows / (rows[-1:] + eps) * self.scale
            cols = cols / (cols[-1:] + eps) * self.scale
            steps = torch.arange(self.num_pos_feats, dtype=torch.float32, device=device)
            frequencies = self.temperature ** (2 * (steps // 2) / self.num_pos_feats)
            enc_y = _interleave_sin_cos(rows[:, None] / frequencies)  # [H, C/2]
            enc_x = _interleave_sin_cos(cols[:, None] / frequencies)  # [W, C/2]
            grid = torch.cat(
                [
                    enc_y[:, None, :].expand(height, width, -1),
                    enc_x[None, :, :].expand(height, width, -1),
                ],
                dim=-1,
            )  # [H, W, C]
            self._cache[key] = grid.permute(2, 0, 1).contiguous()  # [H, W, C] -> [C, H, W]
        return self._cache[key]

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grid = self._grid(x.shape[-2], x.shape[-1], x.device)
        return grid.unsqueeze(0).expand(x.shape[0], -1, -1, -1)


def _interleave_sin_cos(angles: torch.Tensor) -> torch.Tensor:
    """``[N, D]`` angles -> ``[N, D]``: sin of the even columns interleaved with cos of the odd."""
    pairs = torch.stack([angles[:, 0::2].sin(), angles[:, 1::2].cos()], dim=2)  # [N, D/2, 2]
    return pairs.flatten(1)  # [N, D/2, 2] -> [N, D]


class PositionEmbeddingRandom(nn.Module):
    """Random-Fourier-feature encoding of 2-D coordinates (SAM's prompt positional encoding).

    The buffer ``positional_encoding_gaussian_matrix`` ``[2, num_pos_feats]`` comes from the
    checkpoint; outputs have ``2 * num_pos_feats`` channels (sines then cosines).
    """

    positional_encoding_gaussian_matrix: torch.Tensor

    def __init__(self, num_pos_feats: int = 64, scale: float | None = None) -> None:
        super().__init__()
        scale = 1.0 if scale is None or scale <= 0.0 else scale
        self.register_buffer(
            "positional_encoding_gaussian_matrix", scale * torch.randn((2, num_pos_feats))
        )
        self._dense_cache: DerivedCache[torch.Tensor] = DerivedCache()

    def _encode(self, coords: torch.Tensor) -> torch.Tensor:
        """``[..., 2]`` coordinates in [0, 1] -> ``[..., C]``."""
        projected = (2 * coords - 1) @ self.positional_encoding_gaussian_matrix
        projected = 2 * math.pi * projected
        return torch.cat([projected.sin(), projected.cos()], dim=-1)

    def forward(self, size: tuple[int, int]) -> torch.Tensor:
        """Encoding of the pixel centres of an ``h x w`` grid: ``[C, h, w]`` (cached per size
        until the matrix changes)."""
        matrix = self.positional_encoding_gaussian_matrix
        h, w = int(size[0]), int(size[1])

        def compute() -> torch.Tensor:
            ys = (torch.arange(h, dtype=torch.float32, device=matrix.device) + 0.5) / h
            xs = (torch.arange(w, dtype=torch.float32, device=matrix.device) + 0.5) / w
            grid = torch.stack(
                [xs[None, :].expand(h, w), ys[:, None].expand(h, w)], dim=-1
            )  # [h, w, 2] as (x, y)
            return self._encode(grid).permute(2, 0, 1)  # [h, w, C] -> [C, h, w]

        return self._dense_cache.get((h, w), (matrix,), compute)

    def forward_with_coords(
        self, coords_input: torch.Tensor, image_size: tuple[int, int]
    ) -> torch.Tensor:
        """``[B, N, 2]`` pixel coordinates (x, y) in an image of ``(H, W)`` -> ``[B, N, C]``."""
        extent = coords_input.new_tensor([image_size[1], image_size[0]])
        return self._encode((coords_input / extent).float())


class RotaryEncoding2d:
    """Axial 2-D rotary position encoding (RoPE) for square-ish token grids.

    Channel pairs ``(2i, 2i+1)`` of each head rotate by an angle that depends on the token's x
    position (first half of the pairs) or y position (second half). Cos/sin tables are cached
    per grid size and device.
    """

    def __init__(self, head_dim: int, theta: float = 10000.0) -> None:
        if head_dim % 4:
            raise ValueError("rotary encoding needs a head dimension divisible by 4")
        self.head_dim = head_dim
        self.theta = theta
        self._cache: dict[tuple[int, int, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}

    def tables(
        self, width: int, height: int, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(cos, sin)``, each ``[height * width, head_dim / 2]``, for a row-major token grid."""
        key = (width, height, device)
        if key not in self._cache:
            quarter = self.head_dim // 4
            exponents = torch.arange(0, self.head_dim, 4)[:quarter].float() / self.head_dim
            frequencies = 1.0 / (self.theta**exponents)  # [D/4]
            index = torch.arange(width * height, dtype=torch.float32)
            pos_x = index % width
            pos_y = torch.div(index, width, rounding_mode="floor")
            angles = torch.cat(
                [torch.outer(pos_x, frequencies), torch.outer(pos_y, frequencies)], dim=-1
            )  # [N, D/2]
            self._cache[key] = (angles.cos().to(device), angles.sin().to(device))
        return self._cache[key]

    @staticmethod
    def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """Rotate channel pairs of ``x`` ``[B, heads, N, D]`` by tables ``[N', D/2]``.

        When ``N`` is a multiple of ``N'`` the tables repeat along the sequence (several memory
        frames share one grid).
        """
        repeats = x.shape[-2] // cos.shape[0]
        if repeats > 1:
            cos = cos.repeat(repeats, 1)
            sin = sin.repeat(repeats, 1)
        pairs = x.float().unflatten(-1, (-1, 2))  # [B, heads, N, D] -> [B, heads, N, D/2, 2]
        real, imag = pairs.unbind(-1)
        rotated = torch.stack([real * cos - imag * sin, real * sin + imag * cos], dim=-1)
        return rotated.flatten(-2).type_as(x)  # [B, heads, N, D/2, 2] -> [B, heads, N, D]
