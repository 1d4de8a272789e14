"""Interactive multi-object video segmentation with the official ``SAM2VideoPredictor`` surface.

Differences from the reference, by design:

* the state is a typed :class:`~sam2.video_state.InferenceState`; frames are decoded on demand
  and backbone features kept in a small LRU;
* per-frame results that attention can no longer read are dropped (see :meth:`_prune`), so RAM
  stays flat on long videos; outputs go to the caller;
* all objects are tracked together: one memory-attention call per group of objects with the
  same memory frames (the first self-attention computed once for all), one mask-decoder and
  one memory-encoder call per frame on GPUs (on CPU objects pass one at a time inside these
  calls, which keeps activations in cache);
* ``fill_hole_area`` works on every device and ``clear_non_cond_mem_around_input`` works;
* opt-in speed modes: ``tracking_precision="bf16"`` (bf16 matmuls, fp32 softmax in memory
  attention) and ``memory_frames=k`` (only the ``k`` most recent non-conditioning memories).

In fp32 on the CPU with default settings the masks and logits match the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from sam2.configs import SAM2Config
from sam2.model_building import VIDEO_POSTPROCESSING, build_config, finish, hf_checkpoint
from sam2.modeling.fast.memory_attention import FastMemoryAttention
from sam2.modeling.sam2_base import NO_OBJ_SCORE, SAM2Base
from sam2.modeling.tracking import (
    HeadOutputs,
    MemoryPlan,
    condition_on_memory,
    encode_memory,
    keep_top_object,
    plan_memory,
    run_heads,
    upsample_to_image,
)
from sam2.precision import PRECISIONS as TRACKING_PRECISIONS
from sam2.video_state import (
    FrameFeatures,
    FrameOutput,
    InferenceState,
    ObjectTrack,
    PointPrompt,
    VideoSource,
    open_frames,
)

Prediction = tuple[int, list[int], torch.Tensor]


class SAM2VideoPredictor(SAM2Base):
    """SAM 2 for video: prompt objects on any frame, then propagate through the video.

    Every prompt call returns ``(frame_idx, obj_ids, mask_logits [N, 1, H, W])`` for all
    objects on that frame at video resolution (threshold at 0), and :meth:`propagate_in_video`
    yields the same triple per frame.

    Attributes beyond the config (set them after building):
        tracking_precision: ``"fp32"`` (exact) or ``"bf16"`` (faster memory attention on CPUs
            with bf16 matmuls; see the benchmarks for its agreement with fp32).
        memory_frames: ``None`` for all ``num_maskmem - 1`` recent memories, or fewer.
        feature_cache_size: frames whose backbone features stay cached.
    """

    def __init__(self, config: SAM2Config) -> None:
        super().__init__(config)
        self.fill_hole_area = config.fill_hole_area
        self.non_overlap_masks = config.non_overlap_masks
        self.clear_non_cond_mem_around_input = config.clear_non_cond_mem_around_input
        self.add_all_frames_to_correct_as_cond = config.add_all_frames_to_correct_as_cond
        self.tracking_precision = "fp32"
        self.memory_frames: int | None = None
        self.feature_cache_size = 4
        self._attention_runners: dict[str, FastMemoryAttention] = {}

    @classmethod
    def from_pretrained(cls, model_id: str, **kwargs: Any) -> SAM2VideoPredictor:
        """The video predictor for Hugging Face model ``model_id`` (e.g.
        ``facebook/sam2.1-hiera-tiny``); ``kwargs`` go to :func:`build_sam2_video_predictor`."""
        return build_sam2_video_predictor_hf(model_id, **kwargs)

    # ------------------------------------------------------------------ session

    @torch.inference_mode()
    def init_state(
        self,
        video_path: VideoSource,
        offload_video_to_cpu: bool = False,
        offload_state_to_cpu: bool = False,
        async_loading_frames: bool = False,
    ) -> InferenceState:
        """Open a video (file path, frame folder, ``[T, H, W, 3]`` uint8 array, list of frames or
        an iterator of frames) and compute frame 0's features.

        Frames are always decoded on demand (so ``offload_video_to_cpu`` has nothing to move);
        ``async_loading_frames`` additionally decodes the next frame in a background thread
        while the current one is tracked. ``offload_state_to_cpu`` keeps per-frame results in
        CPU memory.
        """
        frames = open_frames(video_path)
        device = self.device
        state = InferenceState(
            frames=frames,
            video_height=frames.height,
            video_width=frames.width,
            image_size=self.image_size,
            device=device,
            storage_device=torch.device("cpu") if offload_state_to_cpu else device,
            offload_video_to_cpu=offload_video_to_cpu,
            offload_state_to_cpu=offload_state_to_cpu,
            async_loading_frames=async_loading_frames,
            feature_cache_size=self.feature_cache_size,
        )
        self._frame_features(state, 0)
        return state

    @torch.inference_mode()
    def reset_state(self, inference_state: InferenceState) -> None:
        """Forget every object, prompt and result (the video stays open)."""
        inference_state.objects.clear()
        inference_state.frontier = None

    # ------------------------------------------------------------------ prompts

    @torch.inference_mode()
    def add_new_points_or_box(
        self,
        inference_state: InferenceState,
        frame_idx: int,
        obj_id: int,
        points: Sequence | np.ndarray | torch.Tensor | None = None,
        labels: Sequence | np.ndarray | torch.Tensor | None = None,
        clear_old_points: bool = True,
        normalize_coords: bool = True,
        box: Sequence | np.ndarray | torch.Tensor | None = None,
    ) -> Prediction:
        """Clicks (``points [P, 2]`` x, y in video pixels; ``labels [P]`` 1 positive / 0
        negative) and/or a ``box [4]`` (x0, y0, x1, y1) for one object on one frame."""
        state = inference_state
        if (points is None) != (labels is None):
            raise ValueError("points and labels must be provided together")
        if points is None and box is None:
            raise ValueError("at least one of points or box must be provided as input")
        self._check_frame(state, frame_idx)
        obj_idx = state.obj_idx(obj_id)
        track = state.objects[obj_idx]
        coords = torch.zeros(0, 2) if points is None else torch.as_tensor(
            np.asarray(points, dtype=np.float32) if not torch.is_tensor(points) else points
        ).float()
        marks = torch.zeros(0, dtype=torch.int32) if labels is None else torch.as_tensor(
            np.asarray(labels) if not torch.is_tensor(labels) else labels
        ).to(torch.int32)
        coords = coords.reshape(1, -1, 2)  # [P, 2] -> [1, P, 2]
        marks = marks.reshape(1, -1)  # [P] -> [1, P]
        if coords.shape[1] != marks.shape[1]:
            raise ValueError(f"got {coords.shape[1]} points but {marks.shape[1]} labels")
        if box is not None:
            if not clear_old_points:
                raise ValueError(
                    "cannot add a box without clearing old points (a box must come before any "
                    "click); use clear_old_points=True"
                )
            corners = torch.as_tensor(box, dtype=torch.float32).reshape(1, 2, 2)  # [4] -> [1,2,2]
            coords = torch.cat([corners, coords], dim=1)
            marks = torch.cat([torch.tensor([[2, 3]], dtype=torch.int32), marks], dim=1)
        if normalize_coords:
            coords = coords / torch.tensor([state.video_width, state.video_height])
        coords = (coords * self.image_size).to(state.device)
        marks = marks.to(state.device)
        previous = track.points.get(frame_idx) if not clear_old_points else None
        if previous is not None:
            coords = torch.cat([previous.coords, coords], dim=1)
            marks = torch.cat([previous.labels, marks], dim=1)
        prompt = PointPrompt(coords, marks)
        track.points[frame_idx] = prompt
        track.masks.pop(frame_idx, None)

        is_init, reverse, is_cond = self._interaction_kind(track, frame_idx)
        previous_out = track.latest_output(frame_idx, is_cond)
        prev_logits = None
        if previous_out is not None and previous_out.pred_masks is not None:
            prev_logits = previous_out.pred_masks.to(state.device).clamp(-32.0, 32.0)
        pending = track.temp_cond if is_cond else track.temp_non_cond
        pending[frame_idx] = self._prompted_frame(
            state, track, frame_idx, is_init, reverse, prompt.as_inputs(), None, prev_logits
        )
        return frame_idx, state.obj_ids, self._frame_masks_at_video_res(state, frame_idx, is_cond)

    def add_new_points(self, *args: Any, **kwargs: Any) -> Prediction:
        """Alias of :meth:`add_new_points_or_box` (the reference's older name)."""
        return self.add_new_points_or_box(*args, **kwargs)

    @torch.inference_mode()
    def add_new_mask(
        self,
        inference_state: InferenceState,
        frame_idx: int,
        obj_id: int,
        mask: np.ndarray | torch.Tensor,
    ) -> Prediction:
        """A ``[H, W]`` bool mask for one object on one frame (any size; squashed to the model's
        input size)."""
        state = inference_state
        self._check_frame(state, frame_idx)
        mask = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask)
        if mask.dim() != 2:
            raise ValueError(f"mask must be [H, W], got shape {tuple(mask.shape)}")
        obj_idx = state.obj_idx(obj_id)
        track = state.objects[obj_idx]
        mask_inputs = mask.bool()[None, None].float().to(state.device)  # [H, W] -> [1, 1, H, W]
        size = (self.image_size, self.image_size)
        if tuple(mask_inputs.shape[-2:]) != size:
            resized = F.interpolate(
                mask_inputs, size=size, mode="bilinear", align_corners=False, antialias=True
            )
            mask_inputs = (resized >= 0.5).float()
        track.masks[frame_idx] = mask_inputs
        track.points.pop(frame_idx, None)

        is_init, reverse, is_cond = self._interaction_kind(track, frame_idx)
        pending = track.temp_cond if is_cond else track.temp_non_cond
        pending[frame_idx] = self._prompted_frame(
            state, track, frame_idx, is_init, reverse, None, mask_inputs, None
        )
        return frame_idx, state.obj_ids, self._frame_masks_at_video_res(state, frame_idx, is_cond)

    @torch.inference_mode()
    def clear_all_prompts_in_frame(
        self,
        inference_state: InferenceState,
        frame_idx: int,
        obj_id: int,
        need_output: bool = True,
    ) -> Prediction | None:
        """Remove one object's clicks/mask on one frame; its result there becomes an ordinary
        tracked result (and the frame counts as untracked for the next prompt)."""
        state = inference_state
        track = state.objects[state.obj_idx(obj_id)]
        track.points.pop(frame_idx, None)
        track.masks.pop(frame_idx, None)
        track.temp_cond.pop(frame_idx, None)
        track.temp_non_cond.pop(frame_idx, None)
        out = track.cond.pop(frame_idx, None)
        if out is not None:
            track.non_cond[frame_idx] = out
            track.frames_tracked.pop(frame_idx, None)
        if not need_output:
            return None
        is_cond = any(frame_idx in t.temp_cond for t in state.objects)
        return frame_idx, state.obj_ids, self._frame_masks_at_video_res(state, frame_idx, is_cond)

    @torch.inference_mode()
    def remove_object(
        self,
        inference_state: InferenceState,
        obj_id: int,
        strict: bool = False,
        need_output: bool = True,
    ) -> tuple[list[int], list[tuple[int, torch.Tensor]]]:
        """Drop an object. Returns ``(remaining obj_ids, [(frame_idx, mask_logits)])`` with the
        updated masks of the frames the object had prompts on."""
        state = inference_state
        obj_idx = state.obj_idx(obj_id, create=False)
        if obj_idx is None:
            if strict:
                raise RuntimeError(
                    f"cannot remove object id {obj_id}: it does not exist (ids: {state.obj_ids})"
                )
            return state.obj_ids, []
        if len(state.objects) == 1:
            self.reset_state(state)
            return state.obj_ids, []
        track = state.objects[obj_idx]
        prompted = list(dict.fromkeys([*track.points, *track.masks]))
        for frame_idx in prompted:
            self.clear_all_prompts_in_frame(state, frame_idx, obj_id, need_output=False)
        del state.objects[obj_idx]
        updated = []
        if need_output:
            for frame_idx in prompted:
                is_cond = any(frame_idx in t.temp_cond for t in state.objects)
                masks = self._frame_masks_at_video_res(state, frame_idx, is_cond)
                updated.append((frame_idx, masks))
        return state.obj_ids, updated

    # ------------------------------------------------------------------ propagation

    @torch.inference_mode()
    def propagate_in_video_preflight(self, inference_state: InferenceState) -> None:
        """Encode the memories of freshly prompted frames and move them into the memory bank."""
        state = inference_state
        if not state.objects:
            raise RuntimeError(
                "no input points or masks are provided for any object; add inputs first"
            )
        for obj_idx, track in enumerate(state.objects):
            for pending, bank in ((track.temp_non_cond, track.non_cond),
                                  (track.temp_cond, track.cond)):
                for frame_idx, out in pending.items():
                    if out.maskmem_features is None:
                        features = self._frame_features(state, frame_idx)
                        high_res = upsample_to_image(self, out.masks().to(state.device))
                        maskmem, pos = encode_memory(
                            self, features, high_res, out.object_score_logits, is_mask_from_pts=True
                        )
                        out.maskmem_features = self._stored_memory(state, maskmem, pos)
                    bank[frame_idx] = out
                    if self.clear_non_cond_mem_around_input:
                        self._clear_non_cond_memory_around(state, frame_idx, obj_idx)
                pending.clear()
            if not track.cond:
                raise RuntimeError(
                    f"no input points or masks are provided for object id {track.obj_id}; "
                    "add inputs first"
                )
            for frame_idx in track.cond:
                track.non_cond.pop(frame_idx, None)

    @torch.inference_mode()
    def propagate_in_video(
        self,
        inference_state: InferenceState,
        start_frame_idx: int | None = None,
        max_frame_num_to_track: int | None = None,
        reverse: bool = False,
    ) -> Iterator[Prediction]:
        """Track every object from ``start_frame_idx`` (default: the earliest prompted frame)
        forward, or backward with ``reverse=True``, over at most ``max_frame_num_to_track``
        further frames; yields ``(frame_idx, obj_ids, mask_logits [N, 1, H, W])`` per frame."""
        state = inference_state
        self.propagate_in_video_preflight(state)
        if start_frame_idx is None:
            start_frame_idx = min(t for track in state.objects for t in track.cond)
        span = max_frame_num_to_track
        if reverse:
            stop = max(start_frame_idx - span, 0) if span is not None else 0
            order: Iterable[int] = (
                range(start_frame_idx, stop - 1, -1) if start_frame_idx > 0 else range(0)
            )
        else:
            end = start_frame_idx + span if span is not None else None
            if state.num_frames is not None:
                last = state.num_frames - 1
                end = last if end is None else min(end, last)
            order = _count_from(start_frame_idx, end)
        for frame_idx in order:
            if not state.frames.has(frame_idx):
                break
            masks = self._propagate_frame(state, frame_idx, reverse)
            yield frame_idx, state.obj_ids, self._to_video_res(state, masks)

    def _propagate_frame(
        self, state: InferenceState, frame_idx: int, reverse: bool
    ) -> torch.Tensor:
        """Track all objects on one frame; returns low-res logits ``[N, 1, S/4, S/4]``."""
        masks: dict[int, torch.Tensor] = {}  # object index -> [1, 1, S/4, S/4]
        pending = []
        for obj_idx, track in enumerate(state.objects):
            out = track.cond.get(frame_idx)
            if out is None:
                pending.append(obj_idx)
                continue
            masks[obj_idx] = out.masks().to(state.device)
            if self.clear_non_cond_mem_around_input:
                self._clear_non_cond_memory_around(state, frame_idx, obj_idx)
        if pending:
            features = self._frame_features(state, frame_idx, next_idx=frame_idx - 1 if reverse
                                            else frame_idx + 1)
            plans = [
                plan_memory(self, state.objects[i], frame_idx, state.num_frames, reverse,
                            self.memory_frames)
                for i in pending
            ]
            pix_feat = self._condition_batched(state, features, plans)
            # One decoder + memory-encoder call for all objects on a GPU; on CPU one object at
            # a time keeps the full-resolution mask activations in cache (same FLOPs).
            step = len(pending) if state.device.type == "cuda" else 1
            outputs = []
            for first in range(0, len(pending), step):
                heads = run_heads(self, features, pix_feat[first:first + step], None, None,
                                  is_init_cond_frame=False)
                maskmem, pos = encode_memory(self, features, heads.high_res_masks,
                                             heads.object_score_logits, is_mask_from_pts=False)
                outputs += self._compact(state, heads, self._stored_memory(state, maskmem, pos))
            for obj_idx, out in zip(pending, outputs, strict=True):
                state.objects[obj_idx].non_cond[frame_idx] = out
                masks[obj_idx] = out.masks().to(state.device)
        for track in state.objects:
            track.frames_tracked[frame_idx] = reverse
        state.frontier = frame_idx
        self._prune(state)
        return torch.cat([masks[i] for i in range(len(state.objects))])

    def _condition_batched(
        self, state: InferenceState, features: FrameFeatures, plans: list[MemoryPlan]
    ) -> torch.Tensor:
        """Memory-conditioned features ``[B, C, H, W]`` for objects in ``plans`` order; objects
        that read the same memory frames share one memory-attention call."""
        groups: dict[tuple, list[int]] = {}
        for position, plan in enumerate(plans):
            groups.setdefault(plan.key, []).append(position)
        fused: dict[int, torch.Tensor] = {}  # position in plans -> [1, C, H, W]
        for positions in groups.values():
            group_plans = [plans[p] for p in positions]
            out = condition_on_memory(self, features, group_plans, len(group_plans),
                                      state.maskmem_pos_enc, state.num_frames, self._attention())
            for row, position in enumerate(positions):
                fused[position] = out[row : row + 1]
        rows = [fused[p] for p in range(len(plans))]
        return torch.cat(rows) if len(rows) > 1 else rows[0]

    def _attention(self) -> FastMemoryAttention:
        """The memory-attention executor for the current ``tracking_precision`` and the current
        ``memory_attention`` module (cached; it follows that module's weights itself)."""
        if self.tracking_precision not in TRACKING_PRECISIONS:
            raise ValueError(
                f"tracking_precision must be one of {list(TRACKING_PRECISIONS)}, "
                f"got {self.tracking_precision!r}"
            )
        runner = self._attention_runners.get(self.tracking_precision)
        if runner is None or runner.module is not self.memory_attention:
            runner = FastMemoryAttention(self.memory_attention, self.tracking_precision)
            self._attention_runners[self.tracking_precision] = runner
        return runner

    # ------------------------------------------------------------------ one object, one frame

    def _prompted_frame(
        self,
        state: InferenceState,
        track: ObjectTrack,
        frame_idx: int,
        is_init: bool,
        reverse: bool,
        point_inputs: dict[str, torch.Tensor] | None,
        mask_inputs: torch.Tensor | None,
        prev_logits: torch.Tensor | None,
    ) -> FrameOutput:
        """Segment one object on a prompted frame (memory encoding waits for propagation)."""
        features = self._frame_features(state, frame_idx)
        pix_feat = None
        if mask_inputs is None or not self.use_mask_input_as_output_without_sam:
            plans = None if is_init else [
                plan_memory(self, track, frame_idx, state.num_frames, reverse, self.memory_frames)
            ]
            pix_feat = condition_on_memory(self, features, plans, 1, state.maskmem_pos_enc,
                                           state.num_frames, self._attention())
        heads = run_heads(self, features, pix_feat, point_inputs, mask_inputs, is_init, prev_logits)
        return self._compact(state, heads, None)[0]

    def _compact(
        self, state: InferenceState, heads: HeadOutputs, maskmem: torch.Tensor | None
    ) -> list[FrameOutput]:
        """Per-object outputs to store: hole-filled low-res masks, pointers, scores, memories."""
        masks = heads.low_res_masks
        if self.fill_hole_area > 0:
            from sam2.postprocess import fill_holes

            masks = fill_holes(masks, self.fill_hole_area)
        masks = masks.to(state.storage_device)
        return [
            FrameOutput(
                pred_masks=masks[i : i + 1],
                obj_ptr=heads.obj_ptr[i : i + 1],
                object_score_logits=heads.object_score_logits[i : i + 1],
                maskmem_features=None if maskmem is None else maskmem[i : i + 1],
                iou=None if heads.ious is None else heads.ious[i : i + 1],
            )
            for i in range(masks.shape[0])
        ]

    def _stored_memory(
        self, state: InferenceState, maskmem: torch.Tensor, pos: torch.Tensor
    ) -> torch.Tensor:
        """Memories as the reference keeps them: rounded to bf16, on the storage device."""
        if state.maskmem_pos_enc is None:
            state.maskmem_pos_enc = pos.clone()
        return maskmem.to(torch.bfloat16).to(state.storage_device)

    def _frame_features(
        self, state: InferenceState, frame_idx: int, next_idx: int | None = None
    ) -> FrameFeatures:
        """Backbone features of one frame, from the LRU or computed now."""
        features = state.cached_features(frame_idx)
        if features is None:
            backbone_out = self.forward_image(state.image(frame_idx, next_idx))
            _, feats, pos, sizes = self._prepare_backbone_features(backbone_out)
            features = FrameFeatures(feats, pos[-1], sizes)
            state.cache_features(frame_idx, features)
        return features

    # ------------------------------------------------------------------ outputs

    def _frame_masks_at_video_res(
        self, state: InferenceState, frame_idx: int, is_cond: bool
    ) -> torch.Tensor:
        """All objects' latest logits on a prompted frame at video resolution ``[N, 1, H, W]``
        (``NO_OBJ_SCORE`` for objects without a result there)."""
        size = (state.video_height, state.video_width)
        out = torch.full((len(state.objects), 1, *size), NO_OBJ_SCORE, dtype=torch.float32,
                         device=state.storage_device)
        for obj_idx, track in enumerate(state.objects):
            result = track.latest_output(frame_idx, is_cond)
            if result is None or result.pred_masks is None:
                continue
            mask = result.pred_masks
            if tuple(mask.shape[-2:]) != size:
                mask = F.interpolate(mask, size=size, mode="bilinear", align_corners=False)
            out[obj_idx : obj_idx + 1] = mask
        return self._to_video_res(state, out)

    def _to_video_res(self, state: InferenceState, masks: torch.Tensor) -> torch.Tensor:
        """``[N, 1, h, w]`` logits -> ``[N, 1, H, W]`` at video size (bilinear), optionally
        without overlaps."""
        size = (state.video_height, state.video_width)
        masks = masks.to(state.device)
        if tuple(masks.shape[-2:]) != size:
            masks = F.interpolate(masks, size=size, mode="bilinear", align_corners=False)
        if self.non_overlap_masks:
            masks = keep_top_object(masks)
        return masks

    # ------------------------------------------------------------------ bookkeeping

    def _interaction_kind(self, track: ObjectTrack, frame_idx: int) -> tuple[bool, bool, bool]:
        """``(is_init_cond_frame, reverse, is_cond)`` for a prompt on ``frame_idx``: an untracked
        frame starts a new conditioning frame; a tracked one is a correction."""
        is_init = frame_idx not in track.frames_tracked
        reverse = False if is_init else track.frames_tracked[frame_idx]
        return is_init, reverse, is_init or self.add_all_frames_to_correct_as_cond

    def _clear_non_cond_memory_around(
        self, state: InferenceState, frame_idx: int, obj_idx: int
    ) -> None:
        """Drop one object's tracked (non-conditioning) memories within ``stride * num_maskmem``
        frames of a prompted frame (not the frame itself), so stale appearance does not fight
        the new prompt."""
        reach = self.memory_temporal_stride_for_eval * self.num_maskmem
        bank = state.objects[obj_idx].non_cond
        for t in [t for t in bank if 0 < abs(t - frame_idx) <= reach]:
            del bank[t]

    def _prune(self, state: InferenceState) -> None:
        """Drop results attention can no longer read, keeping RAM flat on long videos.

        A tracked frame is read again only near where tracking continues: near the frontier and
        near any prompted frame (a later pass starts from one). Within ``num_maskmem * stride``
        frames everything is kept; up to ``max_obj_ptrs_in_encoder`` frames only the object
        pointer; beyond that nothing. Prompting far from both later treats the missing results
        as absent.
        """
        memory_reach = (self.num_maskmem + 1) * self.memory_temporal_stride_for_eval
        pointer_reach = max(self.max_obj_ptrs_in_encoder, memory_reach)
        anchors = {t for track in state.objects for t in (*track.cond, *track.temp_cond)}
        if state.frontier is not None:
            anchors.add(state.frontier)
        for track in state.objects:
            for t in list(track.non_cond):
                distance = min(abs(t - a) for a in anchors)
                if distance > pointer_reach:
                    del track.non_cond[t]
                elif distance > memory_reach:
                    out = track.non_cond[t]
                    out.maskmem_features = None
                    out.pred_masks = None

    def _check_frame(self, state: InferenceState, frame_idx: int) -> None:
        if not state.frames.has(frame_idx):
            raise IndexError(f"frame {frame_idx} is outside the video ({state.num_frames} frames)")


# The official builders of this class (exported by sam2.build_sam, as in the official package);
# they live here so that from_pretrained can use them without an import cycle.


def build_sam2_video_predictor(
    config_file: str,
    ckpt_path: str | Path | None = None,
    device: str | torch.device | None = None,
    mode: str = "eval",
    hydra_overrides_extra: Iterable[str] = (),
    apply_postprocessing: bool = True,
    vos_optimized: bool = False,
    **kwargs: Any,
) -> SAM2VideoPredictor:
    """Build the video predictor for ``config_file`` and load ``ckpt_path`` (strict) if given.

    ``apply_postprocessing`` also binarizes clicked masks for the memory encoder and fills
    holes up to 8 pixels, as the official builder does; ``vos_optimized`` compiles the image
    encoder with ``torch.compile``; ``kwargs`` set :class:`~sam2.configs.SAM2Config` fields.
    """
    defaults = dict(VIDEO_POSTPROCESSING) if apply_postprocessing else {}
    if vos_optimized:
        defaults["compile_image_encoder"] = True
    config = build_config(config_file, hydra_overrides_extra, defaults, **kwargs)
    return finish(SAM2VideoPredictor(config), ckpt_path, device, mode)


def build_sam2_video_predictor_hf(model_id: str, **kwargs: Any) -> SAM2VideoPredictor:
    """:func:`build_sam2_video_predictor` on the checkpoint of Hugging Face model ``model_id``."""
    config_name, ckpt_path = hf_checkpoint(model_id)
    return build_sam2_video_predictor(config_name, ckpt_path=ckpt_path, **kwargs)


def _count_from(start: int, stop: int | None) -> Iterator[int]:
    """``start, start + 1, ...`` up to ``stop`` inclusive (endless when ``stop`` is None)."""
    index = start
    while stop is None or index <= stop:
        yield index
        index += 1
