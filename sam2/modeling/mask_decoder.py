"""SAM 2 mask decoder: output tokens (object score, IoU, 4 mask tokens) run through the two-way
transformer with the prompt tokens; mask tokens become hypernetwork weights over an upscaled
(stride-4) image embedding, and heads predict mask IoU and object presence."""

from __future__ import annotations

import torch
from torch import nn

from sam2.modeling.layers import MLP, LayerNorm2d
from sam2.modeling.two_way_transformer import TwoWayTransformer


class MaskDecoder(nn.Module):
    """Predict masks from image and prompt embeddings.

    ``forward`` returns ``(masks [B, M, 4h, 4w] logits, iou_pred [B, M], sam_tokens_out [B, T, C],
    object_score_logits [B, 1])`` with ``M = 3`` for multimask output, else 1, and ``T`` the
    number of output tokens used for the object pointer (3 or 1).
    """

    def __init__(
        self,
        *,
        transformer_dim: int,
        transformer: TwoWayTransformer,
        num_multimask_outputs: int = 3,
        iou_head_depth: int = 3,
        iou_head_hidden_dim: int = 256,
        use_high_res_features: bool = False,
        iou_prediction_use_sigmoid: bool = False,
        dynamic_multimask_via_stability: bool = False,
        dynamic_multimask_stability_delta: float = 0.05,
        dynamic_multimask_stability_thresh: float = 0.98,
        pred_obj_scores: bool = False,
        pred_obj_scores_mlp: bool = False,
        use_multimask_token_for_obj_ptr: bool = False,
    ) -> None:
        super().__init__()
        self.transformer_dim = transformer_dim
        self.transformer = transformer
        self.num_multimask_outputs = num_multimask_outputs
        self.num_mask_tokens = num_multimask_outputs + 1
        self.iou_token = nn.Embedding(1, transformer_dim)
        self.mask_tokens = nn.Embedding(self.num_mask_tokens, transformer_dim)
        self.pred_obj_scores = pred_obj_scores
        if pred_obj_scores:
            self.obj_score_token = nn.Embedding(1, transformer_dim)
        self.use_multimask_token_for_obj_ptr = use_multimask_token_for_obj_ptr

        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(transformer_dim, transformer_dim // 4, kernel_size=2, stride=2),
            LayerNorm2d(transformer_dim // 4),
            nn.GELU(),
            nn.ConvTranspose2d(transformer_dim // 4, transformer_dim // 8, kernel_size=2, stride=2),
            nn.GELU(),
        )
        self.use_high_res_features = use_high_res_features
        if use_high_res_features:
            self.conv_s0 = nn.Conv2d(transformer_dim, transformer_dim // 8, kernel_size=1)
            self.conv_s1 = nn.Conv2d(transformer_dim, transformer_dim // 4, kernel_size=1)
        self.output_hypernetworks_mlps = nn.ModuleList(
            MLP(transformer_dim, transformer_dim, transformer_dim // 8, 3)
            for _ in range(self.num_mask_tokens)
        )
        self.iou_prediction_head = MLP(
            transformer_dim,
            iou_head_hidden_dim,
            self.num_mask_tokens,
            iou_head_depth,
            sigmoid_output=iou_prediction_use_sigmoid,
        )
        if pred_obj_scores:
            self.pred_obj_score_head = (
                MLP(transformer_dim, transformer_dim, 1, 3)
                if pred_obj_scores_mlp
                else nn.Linear(transformer_dim, 1)
            )
        self.dynamic_multimask_via_stability = dynamic_multimask_via_stability
        self.dynamic_multimask_stability_delta = dynamic_multimask_stability_delta
        self.dynamic_multimask_stability_thresh = dynamic_multimask_stability_thresh

    def forward(
        self,
        image_embeddings: torch.Tensor,
        image_pe: torch.Tensor,
        sparse_prompt_embeddings: torch.Tensor,
        dense_prompt_embeddings: torch.Tensor,
        multimask_output: bool,
        repeat_image: bool,
        high_res_features: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``image_embeddings [B or 1, C, h, w]`` (repeated to the prompt batch when
        ``repeat_image``, unless ``dense`` is ``[1, C, h, w]`` too: then one image serves every
        prompt set), ``image_pe [1, C, h, w]``, ``sparse [B, N, C]``, ``dense [B or 1, C, h, w]``,
        ``high_res_features`` = ``[feat_s0 [B, C/8, 4h, 4w], feat_s1 [B, C/4, 2h, 2w]]``."""
        masks, iou_pred, mask_tokens_out, object_score_logits = self.predict_masks(
            image_embeddings,
            image_pe,
            sparse_prompt_embeddings,
            dense_prompt_embeddings,
            repeat_image,
            high_res_features,
        )
        if multimask_output:
            masks, iou_pred = masks[:, 1:], iou_pred[:, 1:]
        elif self.dynamic_multimask_via_stability and not self.training:
            masks, iou_pred = self._dynamic_multimask_via_stability(masks, iou_pred)
        else:
            masks, iou_pred = masks[:, 0:1], iou_pred[:, 0:1]
        if multimask_output and self.use_multimask_token_for_obj_ptr:
            sam_tokens_out = mask_tokens_out[:, 1:]  # [B, 3, C]
        else:
            # The single-mask token is the object-memory token the model was trained with.
            sam_tokens_out = mask_tokens_out[:, 0:1]  # [B, 1, C]
        return masks, iou_pred, sam_tokens_out, object_score_logits

    def predict_masks(
        self,
        image_embeddings: torch.Tensor,
        image_pe: torch.Tensor,
        sparse_prompt_embeddings: torch.Tensor,
        dense_prompt_embeddings: torch.Tensor,
        repeat_image: bool,
        high_res_features: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """All ``num_mask_tokens`` masks ``[B, 4, 4h, 4w]``, IoUs ``[B, 4]``, mask tokens
        ``[B, 4, C]`` and object-score logits ``[B, 1]``."""
        token_weights = [self.iou_token.weight, self.mask_tokens.weight]
        if self.pred_obj_scores:
            token_weights.insert(0, self.obj_score_token.weight)
        first = 1 if self.pred_obj_scores else 0
        batch = sparse_prompt_embeddings.shape[0]
        output_tokens = torch.cat(token_weights, dim=0).unsqueeze(0).expand(batch, -1, -1)
        tokens = torch.cat((output_tokens, sparse_prompt_embeddings), dim=1)  # [B, T + N, C]

        if repeat_image and dense_prompt_embeddings.shape[0] == 1:
            # The same image and dense prompt for every prompt set: the transformer shares them.
            src = image_embeddings + dense_prompt_embeddings  # [1, C, h, w]
        elif repeat_image:
            src = torch.repeat_interleave(image_embeddings, batch, dim=0)
            src = src + dense_prompt_embeddings
        else:
            if image_embeddings.shape[0] != batch:
                raise ValueError("image and prompt batch sizes differ; pass repeat_image=True")
            src = image_embeddings + dense_prompt_embeddings
        c, h, w = src.shape[1:]
        hs, src = self.transformer(src, image_pe, tokens)
        iou_token_out = hs[:, first]
        mask_tokens_out = hs[:, first + 1 : first + 1 + self.num_mask_tokens]

        src = src.transpose(1, 2).reshape(batch, c, h, w)  # [B, h*w, C] -> [B, C, h, w]
        if self.use_high_res_features:
            if high_res_features is None:
                raise ValueError("this decoder needs high_res_features")
            deconv1, norm1, act1, deconv2, act2 = self.output_upscaling
            feat_s0, feat_s1 = high_res_features
            upscaled = act1(norm1(deconv1(src) + feat_s1))
            upscaled = act2(deconv2(upscaled) + feat_s0)
        else:
            upscaled = self.output_upscaling(src)
        hyper_in = torch.stack(
            [mlp(mask_tokens_out[:, i]) for i, mlp in enumerate(self.output_hypernetworks_mlps)],
            dim=1,
        )  # [B, 4, C/8]
        b, c, h, w = upscaled.shape
        # [B, 4, C/8] @ [B, C/8, 4h*4w] -> [B, 4, 4h*4w] -> [B, 4, 4h, 4w]
        masks = (hyper_in @ upscaled.view(b, c, h * w)).view(b, -1, h, w)
        iou_pred = self.iou_prediction_head(iou_token_out)
        if self.pred_obj_scores:
            object_score_logits = self.pred_obj_score_head(hs[:, 0])
        else:
            # Without an object-score head the object is taken as present (sigmoid(10) ~ 1).
            object_score_logits = 10.0 * iou_pred.new_ones(iou_pred.shape[0], 1)
        return masks, iou_pred, mask_tokens_out, object_score_logits

    def _get_stability_scores(self, mask_logits: torch.Tensor) -> torch.Tensor:
        """IoU between the masks thresholded at +delta and -delta: ``[B, M, H, W] -> [B, M]``."""
        flat = mask_logits.flatten(-2)
        delta = self.dynamic_multimask_stability_delta
        inner = (flat > delta).sum(dim=-1).float()
        outer = (flat > -delta).sum(dim=-1).float()
        return torch.where(outer > 0, inner / outer, 1.0)

    def _dynamic_multimask_via_stability(
        self, all_mask_logits: torch.Tensor, all_iou_scores: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keep the single-mask output where it is stable; elsewhere fall back to the multimask
        output with the highest predicted IoU. ``[B, 4, H, W], [B, 4] -> [B, 1, H, W], [B, 1]``."""
        multi_logits, multi_ious = all_mask_logits[:, 1:], all_iou_scores[:, 1:]
        best = torch.argmax(multi_ious, dim=-1)
        rows = torch.arange(multi_ious.shape[0], device=all_iou_scores.device)
        best_logits = multi_logits[rows, best].unsqueeze(1)
        best_ious = multi_ious[rows, best].unsqueeze(1)
        single_logits, single_ious = all_mask_logits[:, 0:1], all_iou_scores[:, 0:1]
        stable = (
            self._get_stability_scores(single_logits) >= self.dynamic_multimask_stability_thresh
        )
        mask_logits = torch.where(stable[..., None, None], single_logits, best_logits)
        iou_scores = torch.where(stable, single_ious, best_ious)
        return mask_logits, iou_scores
