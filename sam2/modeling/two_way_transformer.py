"""Two-way transformer of the SAM mask decoder: prompt tokens and image tokens attend to each
other in turn (token self-attention, token->image, MLP, image->token), then a final
token->image attention."""

from __future__ import annotations

import torch
from torch import nn

from sam2.modeling.attention import Attention
from sam2.modeling.layers import MLP


class TwoWayAttentionBlock(nn.Module):
    """One round of two-way attention on ``queries [B, Nq, C]`` and ``keys [B, Nk, C]``.

    ``keys`` may be ``[1, Nk, C]``, one image shared by B prompt sets: its attention projections
    are then computed once, and the keys returned are ``[B, Nk, C]``.
    """

    def __init__(
        self,
        embedding_dim: int,
        num_heads: int,
        mlp_dim: int,
        attention_downsample_rate: int,
        skip_first_layer_pe: bool,
    ) -> None:
        super().__init__()
        self.self_attn = Attention(embedding_dim, num_heads)
        self.norm1 = nn.LayerNorm(embedding_dim)
        self.cross_attn_token_to_image = Attention(
            embedding_dim, num_heads, downsample_rate=attention_downsample_rate
        )
        self.norm2 = nn.LayerNorm(embedding_dim)
        self.mlp = MLP(embedding_dim, mlp_dim, embedding_dim, num_layers=2, activation=nn.ReLU)
        self.norm3 = nn.LayerNorm(embedding_dim)
        self.norm4 = nn.LayerNorm(embedding_dim)
        self.cross_attn_image_to_token = Attention(
            embedding_dim, num_heads, downsample_rate=attention_downsample_rate
        )
        self.skip_first_layer_pe = skip_first_layer_pe

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        query_pe: torch.Tensor,
        key_pe: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.skip_first_layer_pe:
            # The first layer replaces the tokens (their embeddings already carry position).
            queries = self.self_attn(q=queries, k=queries, v=queries)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q=q, k=q, v=queries)
        queries = self.norm1(queries)

        keys_with_pe = keys + key_pe
        q = queries + query_pe
        if keys.shape[0] == 1 < queries.shape[0]:
            # One image for every prompt set: its projections are computed once, and every
            # set's tokens attend to it as one long query list (softmax is per query row).
            batch, tokens, width = q.shape
            folded = q.reshape(1, batch * tokens, width)  # [B, Nq, C] -> [1, B*Nq, C]
            attended = self.cross_attn_token_to_image(q=folded, k=keys_with_pe, v=keys)
            attended = attended.reshape(batch, tokens, width)  # [1, B*Nq, C] -> [B, Nq, C]
        else:
            attended = self.cross_attn_token_to_image(q=q, k=keys_with_pe, v=keys)
        queries = self.norm2(queries + attended)
        queries = self.norm3(queries + self.mlp(queries))

        q = queries + query_pe
        keys = self.norm4(keys + self.cross_attn_image_to_token(q=keys_with_pe, k=q, v=queries))
        return queries, keys


class TwoWayTransformer(nn.Module):
    """``depth`` two-way blocks plus a final token->image attention.

    ``forward(image_embedding [B or 1, C, h, w], image_pe [B or 1, C, h, w], point_embedding
    [B, N, C])`` returns ``(queries [B, N, C], keys [B, h*w, C])``; one image embedding is
    shared by all B prompt sets (no copy per set).
    """

    def __init__(
        self,
        depth: int,
        embedding_dim: int,
        num_heads: int,
        mlp_dim: int,
        attention_downsample_rate: int = 2,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            TwoWayAttentionBlock(
                embedding_dim,
                num_heads,
                mlp_dim,
                attention_downsample_rate,
                skip_first_layer_pe=index == 0,
            )
            for index in range(depth)
        )
        self.final_attn_token_to_image = Attention(
            embedding_dim, num_heads, downsample_rate=attention_downsample_rate
        )
        self.norm_final_attn = nn.LayerNorm(embedding_dim)

    def forward(
        self, image_embedding: torch.Tensor, image_pe: torch.Tensor, point_embedding: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch = image_embedding.shape[0]
        keys = image_embedding.flatten(2).transpose(1, 2)  # [B, C, h, w] -> [B, h*w, C]
        key_pe = image_pe.flatten(2).transpose(1, 2)  # [1|B, C, h, w] -> [1|B, h*w, C]
        key_pe = key_pe.expand(batch, -1, -1)
        queries = point_embedding
        for layer in self.layers:
            queries, keys = layer(queries, keys, query_pe=point_embedding, key_pe=key_pe)
        q = queries + point_embedding
        k = keys + key_pe
        queries = self.norm_final_attn(queries + self.final_attn_token_to_image(q=q, k=k, v=keys))
        return queries, keys
