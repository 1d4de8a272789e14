"""SAM2Base: the model's modules under the official attribute names (so official checkpoints load
with ``strict=True``), the image-feature pass, and the SAM prompt/mask heads.

Video tracking (memory conditioning, memory encoding, ``track_step``) builds on this class in
``sam2.modeling.tracking``; the image predictor uses only what is defined here.
"""

from __future__ import annotations

from typing import NoReturn

import torch
import torch.nn.functional as F
from torch import nn

from sam2.configs import SAM2Config
from sam2.modeling.hiera import Hiera
from sam2.modeling.image_encoder import FpnNeck, ImageEncoder
from sam2.modeling.layers import MLP
from sam2.modeling.mask_decoder import MaskDecoder
from sam2.modeling.memory_attention import MemoryAttention
from sam2.modeling.memory_encoder import MemoryEncoder
from sam2.modeling.position_encoding import PositionEmbeddingSine
from sam2.modeling.prompt_encoder import PromptEncoder
from sam2.modeling.two_way_transformer import TwoWayTransformer

# Logit given to every pixel of an object predicted absent.
NO_OBJ_SCORE = -1024.0  # mask logit of an object the model calls absent (reference value)

# Config fields mirrored as attributes under the reference's names (``no_obj_embed_spatial`` is
# the parameter itself, so it is not mirrored).
_MIRRORED_FIELDS = (
    "image_size",
    "backbone_stride",
    "num_maskmem",
    "sigmoid_scale_for_mem_enc",
    "sigmoid_bias_for_mem_enc",
    "binarize_mask_from_pts_for_mem_enc",
    "use_mask_input_as_output_without_sam",
    "max_cond_frames_in_attn",
    "directly_add_no_mem_embed",
    "use_high_res_features_in_sam",
    "multimask_output_in_sam",
    "multimask_min_pt_num",
    "multimask_max_pt_num",
    "multimask_output_for_tracking",
    "use_multimask_token_for_obj_ptr",
    "iou_prediction_use_sigmoid",
    "memory_temporal_stride_for_eval",
    "non_overlap_masks_for_mem_enc",
    "use_obj_ptrs_in_encoder",
    "max_obj_ptrs_in_encoder",
    "add_tpos_enc_to_obj_ptrs",
    "proj_tpos_enc_in_obj_ptrs",
    "use_signed_tpos_enc_to_obj_ptrs",
    "only_obj_ptrs_in_the_past_for_eval",
    "pred_obj_scores",
    "pred_obj_scores_mlp",
    "fixed_no_obj_ptr",
    "soft_no_obj_ptr",
    "use_mlp_for_obj_ptr_proj",
)


def build_image_encoder(config: SAM2Config) -> ImageEncoder:
    """Hiera trunk + FPN neck for ``config``."""
    trunk = Hiera(
        embed_dim=config.embed_dim,
        num_heads=config.num_heads,
        stages=config.stages,
        global_att_blocks=config.global_att_blocks,
        window_pos_embed_bkg_spatial_size=config.window_pos_embed_bkg_spatial_size,
        window_spec=config.window_spec,
        q_pool=config.q_pool,
        q_stride=config.q_stride,
        dim_mul=config.dim_mul,
        head_mul=config.head_mul,
        precision=config.image_encoder_precision,
    )
    num_levels = len(config.stages)
    neck = FpnNeck(
        position_encoding=PositionEmbeddingSine(config.d_model),
        d_model=config.d_model,
        backbone_channel_list=list(config.backbone_channel_list),
        fpn_top_down_levels=list(config.fpn_top_down_levels),
        fpn_interp_model=config.fpn_interp_model,
        num_pos_levels=num_levels - config.scalp,
    )
    return ImageEncoder(trunk, neck, scalp=config.scalp)


class SAM2Base(nn.Module):
    """The SAM 2 network built from a :class:`~sam2.configs.SAM2Config`.

    Submodules and parameters carry the official names: ``image_encoder``, ``memory_attention``,
    ``memory_encoder``, ``sam_prompt_encoder``, ``sam_mask_decoder``, ``obj_ptr_proj``,
    ``obj_ptr_tpos_proj``, ``mask_downsample``, ``maskmem_tpos_enc``, ``no_mem_embed``,
    ``no_mem_pos_enc``, ``no_obj_ptr`` and (SAM 2.1) ``no_obj_embed_spatial``.
    """

    # Copied from the config in ``__init__`` (see ``_MIRRORED_FIELDS``); declared for the checker.
    image_size: int
    backbone_stride: int
    num_maskmem: int
    sigmoid_scale_for_mem_enc: float
    sigmoid_bias_for_mem_enc: float
    binarize_mask_from_pts_for_mem_enc: bool
    use_mask_input_as_output_without_sam: bool
    max_cond_frames_in_attn: int
    directly_add_no_mem_embed: bool
    use_high_res_features_in_sam: bool
    multimask_output_in_sam: bool
    multimask_min_pt_num: int
    multimask_max_pt_num: int
    multimask_output_for_tracking: bool
    use_multimask_token_for_obj_ptr: bool
    iou_prediction_use_sigmoid: bool
    memory_temporal_stride_for_eval: int
    non_overlap_masks_for_mem_enc: bool
    use_obj_ptrs_in_encoder: bool
    max_obj_ptrs_in_encoder: int
    add_tpos_enc_to_obj_ptrs: bool
    proj_tpos_enc_in_obj_ptrs: bool
    use_signed_tpos_enc_to_obj_ptrs: bool
    only_obj_ptrs_in_the_past_for_eval: bool
    pred_obj_scores: bool
    pred_obj_scores_mlp: bool
    fixed_no_obj_ptr: bool
    soft_no_obj_ptr: bool
    use_mlp_for_obj_ptr_proj: bool
    # Identity when the configuration has no such projection.
    obj_ptr_proj: nn.Module
    obj_ptr_tpos_proj: nn.Module

    def __init__(self, config: SAM2Config) -> None:
        super().__init__()
        self.config = config
        for name in _MIRRORED_FIELDS:
            setattr(self, name, getattr(config, name))

        self.image_encoder = build_image_encoder(config)
        self.num_feature_levels = 3 if config.use_high_res_features_in_sam else 1
        self.hidden_dim = config.d_model
        if config.use_obj_ptrs_in_encoder:
            # Brings a mask prompt to stride 4 and to the logit scale of SAM's low-res masks.
            self.mask_downsample = nn.Conv2d(1, 1, kernel_size=4, stride=4)

        self.memory_attention = MemoryAttention(
            d_model=config.d_model,
            num_layers=config.memory_attention_num_layers,
            num_heads=config.memory_attention_num_heads,
            dim_feedforward=config.memory_attention_dim_feedforward,
            kv_in_dim=config.mem_dim,
            rope_theta=config.rope_theta,
        )
        self.memory_encoder = MemoryEncoder(
            out_dim=config.mem_dim, in_dim=config.d_model, fuser_num_layers=config.fuser_num_layers
        )
        self.mem_dim = config.mem_dim
        self.maskmem_tpos_enc = nn.Parameter(torch.zeros(config.num_maskmem, 1, 1, self.mem_dim))
        self.no_mem_embed = nn.Parameter(torch.zeros(1, 1, self.hidden_dim))
        self.no_mem_pos_enc = nn.Parameter(torch.zeros(1, 1, self.hidden_dim))
        if config.pred_obj_scores and config.use_obj_ptrs_in_encoder:
            self.no_obj_ptr = nn.Parameter(torch.zeros(1, self.hidden_dim))
        self.no_obj_embed_spatial = (
            nn.Parameter(torch.zeros(1, self.mem_dim)) if config.no_obj_embed_spatial else None
        )
        for parameter in self._embedding_parameters():
            nn.init.trunc_normal_(parameter, std=0.02)
        self._build_sam_heads()

        if config.compile_image_encoder:
            # Compile the bound forward, not the module, so state-dict keys stay unchanged.
            # Default mode (not max-autotune): autotuning takes minutes on CPUs for little gain.
            # The instance attribute shadows the class's ``forward`` for ``nn.Module.__call__``.
            vars(self.image_encoder)["forward"] = torch.compile(
                self.image_encoder.forward, dynamic=False
            )

    def _embedding_parameters(self) -> list[nn.Parameter]:
        names = (
            "maskmem_tpos_enc",
            "no_mem_embed",
            "no_mem_pos_enc",
            "no_obj_ptr",
            "no_obj_embed_spatial",
        )
        return [p for p in (getattr(self, n, None) for n in names) if isinstance(p, nn.Parameter)]

    def _build_sam_heads(self) -> None:
        """Prompt encoder, mask decoder, object-pointer projections (the SAM head)."""
        config = self.config
        self.sam_prompt_embed_dim = self.hidden_dim
        self.sam_image_embedding_size = self.image_size // self.backbone_stride
        self.sam_prompt_encoder = PromptEncoder(
            embed_dim=self.sam_prompt_embed_dim,
            image_embedding_size=(self.sam_image_embedding_size, self.sam_image_embedding_size),
            input_image_size=(self.image_size, self.image_size),
            mask_in_chans=16,
        )
        self.sam_mask_decoder = MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(
                depth=2, embedding_dim=self.sam_prompt_embed_dim, mlp_dim=2048, num_heads=8
            ),
            transformer_dim=self.sam_prompt_embed_dim,
            iou_head_depth=3,
            iou_head_hidden_dim=256,
            use_high_res_features=config.use_high_res_features_in_sam,
            iou_prediction_use_sigmoid=config.iou_prediction_use_sigmoid,
            dynamic_multimask_via_stability=config.dynamic_multimask_via_stability,
            dynamic_multimask_stability_delta=config.dynamic_multimask_stability_delta,
            dynamic_multimask_stability_thresh=config.dynamic_multimask_stability_thresh,
            pred_obj_scores=config.pred_obj_scores,
            pred_obj_scores_mlp=config.pred_obj_scores_mlp,
            use_multimask_token_for_obj_ptr=config.use_multimask_token_for_obj_ptr,
        )
        if config.use_obj_ptrs_in_encoder:
            self.obj_ptr_proj = (
                MLP(self.hidden_dim, self.hidden_dim, self.hidden_dim, 3)
                if config.use_mlp_for_obj_ptr_proj
                else nn.Linear(self.hidden_dim, self.hidden_dim)
            )
        else:
            self.obj_ptr_proj = nn.Identity()
        if config.proj_tpos_enc_in_obj_ptrs:
            self.obj_ptr_tpos_proj = nn.Linear(self.hidden_dim, self.mem_dim)
        else:
            self.obj_ptr_tpos_proj = nn.Identity()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, *args: object, **kwargs: object) -> NoReturn:
        raise NotImplementedError(
            "SAM2Base has no single forward; use SAM2ImagePredictor or SAM2VideoPredictor"
        )

    # ------------------------------------------------------------------ image features

    def forward_image(self, img_batch: torch.Tensor) -> dict:
        """Backbone pass on ``[B, 3, S, S]`` normalised images.

        Returns the image encoder's dict; with high-res features enabled, levels 0 and 1 of
        ``backbone_fpn`` are already projected by the decoder's ``conv_s0``/``conv_s1``
        (``[B, 32, S/4, S/4]`` and ``[B, 64, S/8, S/8]``), so clicks do not redo it.
        """
        backbone_out = self.image_encoder(img_batch)
        if self.use_high_res_features_in_sam:
            fpn = backbone_out["backbone_fpn"]
            fpn[0] = self.sam_mask_decoder.conv_s0(fpn[0])
            fpn[1] = self.sam_mask_decoder.conv_s1(fpn[1])
        return backbone_out

    def _prepare_backbone_features(
        self, backbone_out: dict
    ) -> tuple[dict, list[torch.Tensor], list[torch.Tensor], list[tuple[int, int]]]:
        """Flatten the last ``num_feature_levels`` levels to sequence-first ``[H*W, B, C]``.

        Returns ``(backbone_out copy, vision_feats, vision_pos_embeds, feat_sizes)``.
        """
        backbone_out = dict(backbone_out)
        levels = self.num_feature_levels
        feature_maps = backbone_out["backbone_fpn"][-levels:]
        position_maps = backbone_out["vision_pos_enc"][-levels:]
        feat_sizes = [(x.shape[-2], x.shape[-1]) for x in position_maps]
        # [B, C, H, W] -> [B, C, H*W] -> [H*W, B, C]
        vision_feats = [x.flatten(2).permute(2, 0, 1) for x in feature_maps]
        vision_pos_embeds = [x.flatten(2).permute(2, 0, 1) for x in position_maps]
        return backbone_out, vision_feats, vision_pos_embeds, feat_sizes

    # ------------------------------------------------------------------ SAM heads

    def _use_multimask(self, is_init_cond_frame: bool, point_inputs: dict | None) -> bool:
        """Whether the SAM head should output 3 masks for these clicks on this frame."""
        num_points = 0 if point_inputs is None else point_inputs["point_labels"].size(1)
        return (
            self.multimask_output_in_sam
            and (is_init_cond_frame or self.multimask_output_for_tracking)
            and self.multimask_min_pt_num <= num_points <= self.multimask_max_pt_num
        )

    def decode_prompts(
        self,
        image_embeddings: torch.Tensor,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        masks: torch.Tensor | None,
        high_res_features: list[torch.Tensor] | None,
        multimask_output: bool,
        repeat_image: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The prompt encoder, then the SAM mask decoder, on ``image_embeddings [B or 1, C, h,
        w]``: ``points = (coords [B, N, 2], labels [B, N])`` in the model's input frame,
        ``masks [B, 1, 4h, 4w]`` logits, ``high_res_features`` as for :meth:`_forward_sam_heads`;
        ``repeat_image``: one image embedding for all ``B`` prompt sets.

        Returns the decoder's ``(low_res_masks [B, M, 4h, 4w], ious [B, M], sam_tokens [B, M,
        C], object_score_logits [B, 1])``, no post-processing.
        """
        sparse, dense = self.sam_prompt_encoder(points=points, boxes=None, masks=masks)
        if masks is None:
            # The no-mask embedding, the same for every prompt set: one copy serves them all
            # (and with repeat_image the decoder attends all sets to one image, not a copy each).
            dense = dense[:1]  # [B, C, h, w] -> [1, C, h, w]
        return self.sam_mask_decoder(
            image_embeddings=image_embeddings,
            image_pe=self.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask_output,
            repeat_image=repeat_image,
            high_res_features=high_res_features,
        )

    def _forward_sam_heads(
        self,
        backbone_features: torch.Tensor,
        point_inputs: dict | None = None,
        mask_inputs: torch.Tensor | None = None,
        high_res_features: list[torch.Tensor] | None = None,
        multimask_output: bool = False,
    ) -> tuple[torch.Tensor, ...]:
        """Run the prompt encoder and mask decoder on (memory-conditioned) features.

        Inputs: ``backbone_features [B, C, h, w]``; ``point_inputs`` with ``point_coords
        [B, P, 2]`` (pixels in the model's input frame) and ``point_labels [B, P]`` int32
        (1 pos, 0 neg, 2/3 box corners, -1 padding); ``mask_inputs [B, 1, H, W]`` (resized to
        ``4h x 4w`` with antialiasing when needed); ``high_res_features`` ``[[B, C/8, 4h, 4w],
        [B, C/4, 2h, 2w]]``.

        Returns ``(low_res_multimasks [B, M, 4h, 4w], high_res_multimasks [B, M, S, S],
        ious [B, M], low_res_masks [B, 1, 4h, 4w], high_res_masks [B, 1, S, S],
        obj_ptr [B, C], object_score_logits [B, 1])`` with ``M = 3`` if ``multimask_output``
        else 1; the single masks are the highest-IoU ones.
        """
        batch = backbone_features.size(0)
        device = backbone_features.device
        expected = (
            self.sam_prompt_embed_dim,
            self.sam_image_embedding_size,
            self.sam_image_embedding_size,
        )
        if tuple(backbone_features.shape[1:]) != expected:
            raise ValueError(
                f"backbone features {tuple(backbone_features.shape)} do not match {expected}"
            )

        if point_inputs is not None:
            coords, labels = point_inputs["point_coords"], point_inputs["point_labels"]
            if coords.size(0) != batch or labels.size(0) != batch:
                raise ValueError("point inputs and features have different batch sizes")
        else:
            # No clicks: one padding point so the decoder still has a sparse token.
            coords = torch.zeros(batch, 1, 2, device=device)
            labels = -torch.ones(batch, 1, dtype=torch.int32, device=device)

        mask_prompt = None
        if mask_inputs is not None:
            if mask_inputs.dim() != 4 or tuple(mask_inputs.shape[:2]) != (batch, 1):
                raise ValueError(
                    f"mask_inputs must be [{batch}, 1, H, W], got {tuple(mask_inputs.shape)}"
                )
            mask_prompt = mask_inputs
            if tuple(mask_inputs.shape[-2:]) != self.sam_prompt_encoder.mask_input_size:
                mask_prompt = F.interpolate(
                    mask_inputs.float(),
                    size=self.sam_prompt_encoder.mask_input_size,
                    mode="bilinear",
                    align_corners=False,
                    antialias=True,
                )

        low_res_multimasks, ious, sam_output_tokens, object_score_logits = self.decode_prompts(
            backbone_features, (coords, labels), mask_prompt, high_res_features, multimask_output
        )
        if self.pred_obj_scores:
            is_obj_appearing = object_score_logits > 0
            # Spatial memories take a hard object / no-object decision, like the mask output.
            low_res_multimasks = torch.where(
                is_obj_appearing[:, None, None], low_res_multimasks, NO_OBJ_SCORE
            )
        low_res_multimasks = low_res_multimasks.float()
        high_res_multimasks = F.interpolate(
            low_res_multimasks,
            size=(self.image_size, self.image_size),
            mode="bilinear",
            align_corners=False,
        )

        sam_output_token = sam_output_tokens[:, 0]
        if multimask_output:
            best = torch.argmax(ious, dim=-1)
            rows = torch.arange(batch, device=device)
            low_res_masks = low_res_multimasks[rows, best].unsqueeze(1)
            high_res_masks = high_res_multimasks[rows, best].unsqueeze(1)
            if sam_output_tokens.size(1) > 1:
                sam_output_token = sam_output_tokens[rows, best]
        else:
            low_res_masks, high_res_masks = low_res_multimasks, high_res_multimasks

        obj_ptr = self.obj_ptr_proj(sam_output_token)
        if self.pred_obj_scores:
            if self.soft_no_obj_ptr:
                appearing = object_score_logits.sigmoid()
            else:
                appearing = is_obj_appearing.float()
            obj_ptr = self._blend_no_obj_ptr(obj_ptr, appearing)

        return (
            low_res_multimasks,
            high_res_multimasks,
            ious,
            low_res_masks,
            high_res_masks,
            obj_ptr,
            object_score_logits,
        )

    def _blend_no_obj_ptr(self, obj_ptr: torch.Tensor, appearing: torch.Tensor) -> torch.Tensor:
        """Mix the learned no-object pointer into ``obj_ptr [B, C]`` where ``appearing [B, 1]``
        is below 1."""
        if self.fixed_no_obj_ptr:
            obj_ptr = appearing * obj_ptr
        return obj_ptr + (1 - appearing) * self.no_obj_ptr

    def _use_mask_as_output(
        self,
        backbone_features: torch.Tensor,
        high_res_features: list[torch.Tensor] | None,
        mask_inputs: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        """Turn a binary ``mask_inputs [B, 1, S, S]`` directly into output logits (+/-10), with the
        same 7-tuple as :meth:`_forward_sam_heads` (M = 1, IoU 1). The object pointer still comes
        from the SAM decoder, prompted with the downsampled mask."""
        out_scale, out_bias = 20.0, -10.0
        mask_float = mask_inputs.float()
        high_res_masks = mask_float * out_scale + out_bias
        low_res_masks = F.interpolate(
            high_res_masks,
            size=(high_res_masks.size(-2) // 4, high_res_masks.size(-1) // 4),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        ious = mask_inputs.new_ones(mask_inputs.size(0), 1).float()
        if not self.use_obj_ptrs_in_encoder:
            obj_ptr = torch.zeros(mask_inputs.size(0), self.hidden_dim, device=mask_inputs.device)
        else:
            obj_ptr = self._forward_sam_heads(
                backbone_features=backbone_features,
                mask_inputs=self.mask_downsample(mask_float),
                high_res_features=high_res_features,
            )[5]
        # Presence follows the given mask, not the decoder's object score.
        appearing = torch.any(mask_inputs.flatten(1).float() > 0.0, dim=1)[..., None].float()
        object_score_logits = out_scale * appearing + out_bias
        if self.pred_obj_scores:
            obj_ptr = self._blend_no_obj_ptr(obj_ptr, appearing)
        return (
            low_res_masks,
            high_res_masks,
            ious,
            low_res_masks,
            high_res_masks,
            obj_ptr,
            object_score_logits,
        )
