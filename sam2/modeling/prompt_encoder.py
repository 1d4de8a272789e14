"""Prompt encoder: points and box corners become sparse tokens (random-Fourier position encoding
plus a learned per-label embedding); a mask prompt becomes a dense map via a small conv stack."""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from sam2.modeling.layers import LayerNorm2d
from sam2.modeling.position_encoding import PositionEmbeddingRandom

# Point labels: -1 padding, 0 negative click, 1 positive click, 2 box top-left, 3 box bottom-right.
NUM_POINT_LABELS = 4


class PromptEncoder(nn.Module):
    """Encode prompts for the mask decoder.

    ``forward(points=(coords [B, N, 2] pixels in the model's input frame, labels [B, N]),
    boxes=[B, 4] | None, masks=[B, 1, 4h, 4w] | None)`` returns sparse embeddings
    ``[B, N' , embed_dim]`` and dense embeddings ``[B, embed_dim, h, w]`` where ``(h, w)`` is
    ``image_embedding_size``.
    """

    def __init__(
        self,
        embed_dim: int,
        image_embedding_size: tuple[int, int],
        input_image_size: tuple[int, int],
        mask_in_chans: int,
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.input_image_size = input_image_size
        self.image_embedding_size = image_embedding_size
        self.pe_layer = PositionEmbeddingRandom(embed_dim // 2)
        self.point_embeddings = nn.ModuleList(
            nn.Embedding(1, embed_dim) for _ in range(NUM_POINT_LABELS)
        )
        self.not_a_point_embed = nn.Embedding(1, embed_dim)
        self.mask_input_size = (4 * image_embedding_size[0], 4 * image_embedding_size[1])
        quarter = mask_in_chans // 4
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, quarter, kernel_size=2, stride=2),
            LayerNorm2d(quarter),
            nn.GELU(),
            nn.Conv2d(quarter, mask_in_chans, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans),
            nn.GELU(),
            nn.Conv2d(mask_in_chans, embed_dim, kernel_size=1),
        )
        self.no_mask_embed = nn.Embedding(1, embed_dim)

    def _label_embeddings(self) -> list[nn.Embedding]:
        """``point_embeddings`` in label order: ``[1, C]`` weights of labels 0..3 (the untyped
        ``nn.ModuleList`` holds only Embeddings)."""
        return cast("list[nn.Embedding]", list(self.point_embeddings))

    def get_dense_pe(self) -> torch.Tensor:
        """Position encoding of the image-embedding grid: ``[1, embed_dim, h, w]``."""
        return self.pe_layer(self.image_embedding_size).unsqueeze(0)

    def _embed_points(self, points: torch.Tensor, labels: torch.Tensor, pad: bool) -> torch.Tensor:
        """``[B, N, 2]`` pixel coordinates and ``[B, N]`` labels -> ``[B, N (+1 if pad), C]``."""
        points = points + 0.5  # pixel centres
        if pad:
            points = torch.cat([points, points.new_zeros(points.shape[0], 1, 2)], dim=1)
            labels = torch.cat([labels, -labels.new_ones(labels.shape[0], 1)], dim=1)
        encoding = self.pe_layer.forward_with_coords(points, self.input_image_size)
        padding = (labels == -1).unsqueeze(-1)
        encoding = torch.where(padding, self.not_a_point_embed.weight.expand_as(encoding), encoding)
        label_table = torch.cat([e.weight for e in self._label_embeddings()])  # [4, C]
        for label in range(NUM_POINT_LABELS):
            chosen = (labels == label).unsqueeze(-1)
            encoding = torch.where(chosen, encoding + label_table[label], encoding)
        return encoding

    def _embed_boxes(self, boxes: torch.Tensor) -> torch.Tensor:
        """``[B, 4]`` boxes (x0, y0, x1, y1) -> ``[B, 2, C]`` corner tokens."""
        corners = (boxes + 0.5).reshape(-1, 2, 2)  # [B, 4] -> [B, 2 corners, (x, y)]
        encoding = self.pe_layer.forward_with_coords(corners, self.input_image_size)
        corner_labels = torch.stack(
            [embedding.weight[0] for embedding in self._label_embeddings()[2:4]]
        )  # [2, C]
        return encoding + corner_labels

    def forward(
        self,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        boxes: torch.Tensor | None,
        masks: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if points is not None:
            batch = points[0].shape[0]
        elif boxes is not None:
            batch = boxes.shape[0]
        elif masks is not None:
            batch = masks.shape[0]
        else:
            batch = 1
        device = self._label_embeddings()[0].weight.device
        parts = [torch.empty((batch, 0, self.embed_dim), device=device)]
        if points is not None:
            parts.append(self._embed_points(points[0], points[1], pad=boxes is None))
        if boxes is not None:
            parts.append(self._embed_boxes(boxes))
        sparse = torch.cat(parts, dim=1)
        if masks is not None:
            dense = self.mask_downscaling(masks)
        else:
            h, w = self.image_embedding_size
            dense = self.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(batch, -1, h, w)
        return sparse, dense
