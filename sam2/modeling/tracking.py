"""Tracking one frame for many objects at once: memory selection, memory conditioning, the
SAM heads and memory encoding, batched over objects.

The selection rules are the reference's (``SAM2Base._prepare_memory_conditioned_features``):
every selected conditioning frame at temporal position 0, the last ``num_maskmem - 1`` tracked
frames (every ``memory_temporal_stride_for_eval``-th one), and object pointers from the
conditioning frames and up to ``max_obj_ptrs_in_encoder - 1`` recent frames. Objects whose
selections coincide (the usual case: all prompted on the same frames) share one batched
memory-attention call; the mask decoder and the memory encoder always run once per frame for all
objects. Stored memories are bf16 (as the reference stores them) and are widened to the
attention's dtype before use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from sam2.modeling.position_encoding import sine_encoding_1d
from sam2.video_state import FrameFeatures, FrameOutput, ObjectTrack

if TYPE_CHECKING:
    from sam2.modeling.sam2_base import SAM2Base



@dataclass
class MemoryPlan:
    """What one object attends to on one frame.

    ``spatial``: ``(t_pos, frame, output)`` memories (``t_pos`` 0 for conditioning frames, else
    ``num_maskmem - frames back``); ``pointers``: ``(temporal offset, frame, output)``.
    """

    spatial: list[tuple[int, int, FrameOutput]]
    pointers: list[tuple[int, int, FrameOutput]]

    @property
    def key(self) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
        """Objects with equal keys can share one memory-attention batch."""
        return (
            tuple((t_pos, frame) for t_pos, frame, _ in self.spatial),
            tuple((offset, frame) for offset, frame, _ in self.pointers),
        )


def split_cond_frames(
    frame_idx: int, cond: Mapping[int, FrameOutput], limit: int
) -> tuple[dict[int, FrameOutput], dict[int, FrameOutput]]:
    """``(selected, unselected)`` conditioning outputs: all of them when ``limit`` is -1 or not
    exceeded, else the nearest one before, the nearest one at/after, then the closest others."""
    if limit == -1 or len(cond) <= limit:
        return dict(cond), {}
    chosen: list[int] = []
    before = [t for t in cond if t < frame_idx]
    after = [t for t in cond if t >= frame_idx]
    if before:
        chosen.append(max(before))
    if after:
        chosen.append(min(after))
    rest = sorted((t for t in cond if t not in chosen), key=lambda t: abs(t - frame_idx))
    chosen += rest[: max(limit - len(chosen), 0)]
    selected = {t: cond[t] for t in chosen}
    return selected, {t: out for t, out in cond.items() if t not in selected}


def plan_memory(
    model: SAM2Base,
    track: ObjectTrack,
    frame_idx: int,
    num_frames: int | None,
    reverse: bool,
    memory_frames: int | None = None,
) -> MemoryPlan:
    """The reference's memory selection for ``track`` on ``frame_idx``.

    ``memory_frames`` (a fast mode) keeps only that many of the most recent non-conditioning
    memories; ``None`` keeps all ``num_maskmem - 1``. ``num_frames`` is ``None`` for a stream of
    unknown length.
    """
    selected, unselected = split_cond_frames(frame_idx, track.cond, model.max_cond_frames_in_attn)
    spatial = [(0, t, out) for t, out in selected.items()]
    stride = model.memory_temporal_stride_for_eval
    direction = -1 if reverse else 1
    for t_pos in range(1, model.num_maskmem):
        frames_back = model.num_maskmem - t_pos
        if memory_frames is not None and frames_back > memory_frames:
            continue
        if frames_back == 1:
            prev = frame_idx - direction
        elif not reverse:
            prev = ((frame_idx - 2) // stride) * stride - (frames_back - 2) * stride
        else:
            prev = -(-(frame_idx + 2) // stride) * stride + (frames_back - 2) * stride
        out = track.non_cond.get(prev, unselected.get(prev))
        if out is not None and out.maskmem_features is not None:
            spatial.append((t_pos, prev, out))

    pointers: list[tuple[int, int, FrameOutput]] = []
    if model.use_obj_ptrs_in_encoder:
        max_ptrs = _max_pointers(model, num_frames)
        sign = -1 if reverse else 1
        for t, out in selected.items():
            if model.only_obj_ptrs_in_the_past_for_eval and (t > frame_idx if not reverse
                                                              else t < frame_idx):
                continue
            offset = (frame_idx - t) * sign if model.use_signed_tpos_enc_to_obj_ptrs else abs(
                frame_idx - t
            )
            pointers.append((offset, t, out))
        for t_diff in range(1, max_ptrs):
            t = frame_idx - direction * t_diff
            if t < 0 or (num_frames is not None and t >= num_frames):
                break
            out = track.non_cond.get(t, unselected.get(t))
            if out is not None:
                pointers.append((t_diff, t, out))
    return MemoryPlan(spatial, pointers)


def _max_pointers(model: SAM2Base, num_frames: int | None) -> int:
    if num_frames is None:
        return model.max_obj_ptrs_in_encoder
    return min(num_frames, model.max_obj_ptrs_in_encoder)


def _stored_memory(out: FrameOutput) -> torch.Tensor:
    """``out.maskmem_features [1, mem_dim, h, w]``; plans only list outputs that have one."""
    if out.maskmem_features is None:
        raise ValueError("a planned spatial memory has no encoded features")
    return out.maskmem_features


def gather_memory(
    model: SAM2Base,
    plans: Sequence[MemoryPlan],
    maskmem_pos_enc: torch.Tensor,
    num_frames: int | None,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Stack the memories of objects that share one plan key.

    Returns ``memory [M, B, mem_dim]``, ``memory_pos [M, B, mem_dim]`` (spatial memories first,
    then object-pointer tokens) and the number of pointer tokens at the end.
    """
    device = model.device
    batch = len(plans)
    first = plans[0]
    memory, memory_pos = [], []
    spatial_pos = maskmem_pos_enc.to(device).flatten(2).permute(2, 0, 1)  # [1,D,h,w] -> [hw,1,D]
    for index, (t_pos, _, _) in enumerate(first.spatial):
        feats = torch.cat([_stored_memory(plan.spatial[index][2]) for plan in plans])
        # [B, D, h, w] -> [B, D, hw] -> [hw, B, D]
        memory.append(feats.to(device, dtype).flatten(2).permute(2, 0, 1))
        tpos = model.maskmem_tpos_enc[model.num_maskmem - t_pos - 1]  # [1, 1, D]
        memory_pos.append((spatial_pos + tpos).expand(-1, batch, -1))
    num_ptr_tokens = 0
    if first.pointers:
        hidden, mem_dim = model.hidden_dim, model.mem_dim
        ptrs = torch.stack(
            [torch.cat([plan.pointers[k][2].obj_ptr for plan in plans]) for k in
             range(len(first.pointers))]
        ).to(device, dtype)  # [P, B, C]
        if model.add_tpos_enc_to_obj_ptrs:
            span = _max_pointers(model, num_frames) - 1
            offsets = torch.tensor([offset for offset, _, _ in first.pointers], device=device)
            tpos_dim = hidden if model.proj_tpos_enc_in_obj_ptrs else mem_dim
            ptr_pos = model.obj_ptr_tpos_proj(sine_encoding_1d(offsets / span, tpos_dim))
            ptr_pos = ptr_pos.unsqueeze(1).expand(-1, batch, mem_dim)  # [P, B, D]
        else:
            ptr_pos = ptrs.new_zeros(len(first.pointers), batch, mem_dim)
        if mem_dim < hidden:
            split = hidden // mem_dim
            # [P, B, C] -> [P, B, C/D, D] -> [P, C/D, B, D] -> [P * C/D, B, D]
            ptrs = ptrs.reshape(-1, batch, split, mem_dim).permute(0, 2, 1, 3).flatten(0, 1)
            ptr_pos = ptr_pos.repeat_interleave(split, dim=0)
        memory.append(ptrs)
        memory_pos.append(ptr_pos.to(dtype))
        num_ptr_tokens = ptrs.shape[0]
    return torch.cat(memory).to(dtype), torch.cat(memory_pos).to(dtype), num_ptr_tokens


def condition_on_memory(
    model: SAM2Base,
    features: FrameFeatures,
    plans: Sequence[MemoryPlan] | None,
    batch: int,
    maskmem_pos_enc: torch.Tensor | None,
    num_frames: int | None,
    attention: Callable[..., torch.Tensor] | None = None,
) -> torch.Tensor:
    """The frame's top-level features fused with each object's memory: ``[B, C, H, W]``.

    ``plans=None`` means an initial conditioning frame (no memory yet). ``attention`` replaces
    ``model.memory_attention`` (same call signature), e.g. the bf16 fast path.
    """
    h, w = features.feat_sizes[-1]
    curr = features.vision_feats[-1]  # [HW, 1, C]
    if model.num_maskmem == 0:
        return features.top_map().expand(batch, -1, -1, -1)
    if plans is None:
        if model.directly_add_no_mem_embed:
            fused = curr + model.no_mem_embed  # [HW, 1, C]
            return fused.permute(1, 2, 0).unflatten(2, (h, w)).expand(batch, -1, -1, -1)
        memory = model.no_mem_embed.expand(1, batch, model.mem_dim)
        memory_pos = model.no_mem_pos_enc.expand(1, batch, model.mem_dim)
        num_ptr_tokens = 0
    elif maskmem_pos_enc is None:
        raise ValueError("memory plans need the stored memory position encoding")
    else:
        memory, memory_pos, num_ptr_tokens = gather_memory(
            model, plans, maskmem_pos_enc, num_frames, curr.dtype
        )
    runner: Callable[..., torch.Tensor] = (
        attention if attention is not None else model.memory_attention
    )
    fused = runner(
        curr=[curr.expand(-1, batch, -1)],
        curr_pos=[features.vision_pos.expand(-1, batch, -1)],
        memory=memory,
        memory_pos=memory_pos,
        num_obj_ptr_tokens=num_ptr_tokens,
    )  # [HW, B, C]
    return fused.permute(1, 2, 0).unflatten(2, (h, w))  # [HW, B, C] -> [B, C, H, W]


def encode_memory(
    model: SAM2Base,
    features: FrameFeatures,
    high_res_masks: torch.Tensor,
    object_score_logits: torch.Tensor,
    is_mask_from_pts: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Memories of ``B`` objects on one frame, from the frame's raw top-level features.

    ``high_res_masks [B, 1, S, S]`` logits, ``object_score_logits [B, 1]`` ->
    ``(maskmem_features [B, mem_dim, S/16, S/16], maskmem_pos_enc [1, mem_dim, S/16, S/16])``.
    The reference encodes one object per call, so its cross-object non-overlap option never
    acts here either.
    """
    batch = high_res_masks.shape[0]
    pix_feat = features.top_map().expand(batch, -1, -1, -1)
    if model.binarize_mask_from_pts_for_mem_enc and is_mask_from_pts:
        mask_for_mem = (high_res_masks > 0).float()
    else:
        mask_for_mem = torch.sigmoid(high_res_masks)
    if model.sigmoid_scale_for_mem_enc != 1.0:
        mask_for_mem = mask_for_mem * model.sigmoid_scale_for_mem_enc
    if model.sigmoid_bias_for_mem_enc != 0.0:
        mask_for_mem = mask_for_mem + model.sigmoid_bias_for_mem_enc
    encoded = model.memory_encoder(pix_feat, mask_for_mem, skip_mask_sigmoid=True)
    maskmem = encoded["vision_features"]
    pos = encoded["vision_pos_enc"]
    pos = pos[-1] if isinstance(pos, (list, tuple)) else pos
    if model.no_obj_embed_spatial is not None:
        absent = (object_score_logits <= 0).to(maskmem.dtype)[..., None, None]  # [B, 1, 1, 1]
        maskmem = maskmem + absent * model.no_obj_embed_spatial[..., None, None]
    return maskmem, pos[:1]


@dataclass
class HeadOutputs:
    """Batched results of the SAM heads on one frame (``B`` objects).

    ``low_res_masks [B, 1, S/4, S/4]``, ``high_res_masks [B, 1, S, S]``, ``obj_ptr [B, C]``,
    ``object_score_logits [B, 1]``; ``ious [B, 1]`` the decoder's predicted IoU of the kept mask
    (1 for a mask given as the output), when known.
    """

    low_res_masks: torch.Tensor
    high_res_masks: torch.Tensor
    obj_ptr: torch.Tensor
    object_score_logits: torch.Tensor
    ious: torch.Tensor | None = None


def run_heads(
    model: SAM2Base,
    features: FrameFeatures,
    pix_feat: torch.Tensor | None,
    point_inputs: dict[str, torch.Tensor] | None,
    mask_inputs: torch.Tensor | None,
    is_init_cond_frame: bool,
    prev_mask_logits: torch.Tensor | None = None,
) -> HeadOutputs:
    """The SAM prompt encoder + mask decoder on memory-conditioned ``pix_feat [B, C, H, W]``, or
    the mask-as-output shortcut for ``mask_inputs [B, 1, S, S]`` (then ``pix_feat`` is unused),
    following the reference's ``_track_step``."""
    if pix_feat is not None:
        batch = pix_feat.shape[0]
    elif mask_inputs is not None:
        batch = mask_inputs.shape[0]
    else:
        raise ValueError("run_heads needs pix_feat or mask_inputs")
    high_res = features.high_res_features(batch) if len(features.vision_feats) > 1 else None
    if mask_inputs is not None and model.use_mask_input_as_output_without_sam:
        outs = model._use_mask_as_output(features.top_map().expand(batch, -1, -1, -1),
                                         high_res, mask_inputs)
    elif pix_feat is None:
        raise ValueError("the SAM heads need memory-conditioned pix_feat")
    else:
        if prev_mask_logits is not None:
            mask_inputs = prev_mask_logits
        outs = model._forward_sam_heads(
            backbone_features=pix_feat,
            point_inputs=point_inputs,
            mask_inputs=mask_inputs,
            high_res_features=high_res,
            multimask_output=model._use_multimask(is_init_cond_frame, point_inputs),
        )
    _, _, ious, low_res, high_res_masks, obj_ptr, scores = outs
    # ious [B, M]: the kept mask is the highest-IoU one -> [B, 1]
    kept_iou = ious.max(dim=-1, keepdim=True).values
    return HeadOutputs(low_res, high_res_masks, obj_ptr, scores, kept_iou)


def upsample_to_image(model: SAM2Base, low_res_masks: torch.Tensor) -> torch.Tensor:
    """``[B, 1, S/4, S/4]`` -> ``[B, 1, S, S]`` bilinear, as the reference before re-encoding."""
    size = (model.image_size, model.image_size)
    return F.interpolate(low_res_masks, size=size, mode="bilinear", align_corners=False)


def keep_top_object(masks: torch.Tensor) -> torch.Tensor:
    """Non-overlapping masks: where objects overlap, every object but the highest-scoring one is
    clamped to logit <= -10. ``[N, 1, H, W]`` -> ``[N, 1, H, W]``."""
    if masks.shape[0] == 1:
        return masks
    top = torch.argmax(masks, dim=0, keepdim=True)  # [1, 1, H, W]
    index = torch.arange(masks.shape[0], device=masks.device)[:, None, None, None]
    return torch.where(top == index, masks, masks.clamp(max=-10.0))
