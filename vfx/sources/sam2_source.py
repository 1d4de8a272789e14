"""SAM 2 tracking as a vfx mask source: prompts in, per-object probabilities out.

:func:`track_objects` drives a :class:`sam2.sam2_video_predictor.SAM2VideoPredictor` from
:class:`~vfx.prompts.model.ObjectPrompts` and yields every frame's probabilities;
:func:`vfx.sources.tracking.track_cached` writes them into the masklet cache. Every prompted
frame is a conditioning frame, so a correction on a later frame persists; tracking runs forward
from the first prompted frame and, when that is not frame 0, backward from it too. An object's
leave markers (object segments) make its masks empty from the marker until its next prompt,
whatever the tracker would have latched onto there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from tqdm import tqdm

from vfx.errors import VfxError
from vfx.prompts.model import FramePrompt, ObjectPrompts
from vfx.prompts.parsing import validate_prompts

if TYPE_CHECKING:
    from sam2.sam2_video_predictor import SAM2VideoPredictor
    from sam2.video_state import InferenceState, VideoSource


class _ReaderForSam2:
    """A vfx :class:`~vfx.io.video_source.VideoReader` as sam2's ``FrameReader`` protocol."""

    def __init__(self, path: Path) -> None:
        from vfx.io.reader import open_video

        self._reader = open_video(path)
        info = self._reader.info
        self.frame_count, self.height, self.width = info.frame_count, info.height, info.width

    def read(self, index: int) -> np.ndarray:
        return self._reader.read(index)

    def close(self) -> None:
        self._reader.close()


def sam2_frames(video: VideoSource) -> VideoSource:
    """What to give ``init_state``: a video file read by vfx's reader (exact seeking, rotation,
    deep colour), anything else (frame folder, frames in memory, iterator) as it is."""
    if isinstance(video, (str, Path)) and Path(video).is_file():
        from sam2.video_state import VideoFileFrames

        return VideoFileFrames(_ReaderForSam2(Path(video)))
    return video


class ObjectScores(NamedTuple):
    """The tracker's own belief about one object on one frame: ``score`` that it is visible
    (sigmoid of the object-score logit, 0..1) and the decoder's predicted ``iou`` of its mask
    (None when not known)."""

    score: float
    iou: float | None


def track_objects(
    predictor: SAM2VideoPredictor,
    video: VideoSource,
    objects: list[ObjectPrompts],
    progress: bool = True,
    on_scores: Callable[[int, dict[int, ObjectScores]], None] | None = None,
    phase: Callable[[str], None] | None = None,
    first_frame: int = 0,
    start: int | None = None,
) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
    """Track ``objects`` through ``video`` (file, frame folder, frame array/list or iterator).

    Yields ``(frame_index, {obj_id: [H, W] float32 probability 0..1})`` once per frame: first the
    forward pass from the earliest prompted frame, then the frames before it in reverse order.
    An object is all zeros on the frames where it is absent (:meth:`ObjectPrompts.absent_at`).
    ``on_scores(frame_index, {obj_id: ObjectScores})``, when given, receives the tracker's own
    belief that each object is visible on each frame and its predicted IoU (before leave markers
    apply).
    Prompts outside the video, or objects without prompts, raise :class:`VfxError`.
    ``phase`` is told as each slow step starts (reading the video, encoding a prompted frame);
    ``first_frame`` is the number its messages give ``video``'s first frame (a segment's start).
    ``start``, when given, tracks forward from that frame only (every prompt still conditions
    the tracker; frames before ``start`` are neither computed nor yielded): a correction on a
    later frame re-tracks what follows it.
    """
    phase = phase or (lambda text: None)
    if not objects:
        raise VfxError("no objects to track; add a prompt such as --point 0:320,240")
    for obj in objects:
        if not obj.segment_prompts:
            raise VfxError(f"object {obj.id} ({obj.name}) has no prompts; give it a point or box")
    previous_mode = predictor.add_all_frames_to_correct_as_cond
    predictor.add_all_frames_to_correct_as_cond = True
    try:
        with torch.inference_mode(), _precision(predictor):
            phase(f"reading video and encoding frame {first_frame}")
            state = predictor.init_state(sam2_frames(video))
            validate_prompts(objects, state.video_width, state.video_height, state.num_frames)
            for obj in objects:
                for prompt in _merge_by_frame(obj.segment_prompts):
                    if prompt.frame != 0:
                        shown = prompt.frame + first_frame
                        phase(f"encoding frame {shown} for object {obj.id}'s prompt")
                    _add_prompt(predictor, state, obj.id, prompt)
        first = min(prompt.frame for obj in objects for prompt in obj.segment_prompts)
        if start is not None:
            first = start
        absent = [obj for obj in objects if len(obj.segment_prompts) < len(obj.prompts)]
        passes = [predictor.propagate_in_video(state, start_frame_idx=first)]
        if first > 0 and start is None:
            passes.append(predictor.propagate_in_video(state, start_frame_idx=first,
                                                       reverse=True))
        with tqdm(total=state.num_frames, unit="frame", desc="tracking",
                  disable=not progress) as bar:
            for number, frames in enumerate(passes):
                while True:
                    # Grad and precision modes are entered per step, so that they never leak
                    # into the caller's code while this generator is suspended.
                    with torch.inference_mode(), _precision(predictor):
                        step = next(frames, None)
                        if step is None:
                            break
                        index, obj_ids, logits = step
                        # [N, 1, H, W] logits -> [N, H, W] probabilities
                        probs = torch.sigmoid(logits[:, 0].float()).cpu().numpy()
                        if on_scores is not None:
                            on_scores(index, _object_scores(state, index))
                    if number > 0 and index == first:
                        continue  # the forward pass already gave the first prompted frame
                    masks = {int(i): probs[k] for k, i in enumerate(obj_ids)}
                    for obj in absent:
                        if obj.absent_at(index):
                            masks[obj.id] = np.zeros_like(masks[obj.id])
                    yield index, masks
                    bar.update(1)
    finally:
        predictor.add_all_frames_to_correct_as_cond = previous_mode


def autocast_dtype(device_type: str) -> str | None:
    """The autocast dtype tracking runs under on ``device_type``: ``"bf16"`` on CUDA, as the
    official predictor is run there; ``None`` (exact fp32) elsewhere (the CPU's bf16 mode is
    opt-in: ``predictor.tracking_precision``)."""
    return "bf16" if device_type == "cuda" else None


def _object_scores(state: InferenceState, frame_idx: int) -> dict[int, ObjectScores]:
    """Each object's :class:`ObjectScores` on ``frame_idx``."""
    scores = {}
    for track in state.objects:
        out = track.latest_output(frame_idx, is_cond=False)
        if out is not None:
            score = float(torch.sigmoid(out.object_score_logits.float()).max())
            iou = None if out.iou is None else float(out.iou.float().max())
            scores[int(track.obj_id)] = ObjectScores(score, iou)
    return scores


def _precision(predictor: SAM2VideoPredictor) -> contextlib.AbstractContextManager:
    """The autocast context of :func:`autocast_dtype` for the predictor's device."""
    if autocast_dtype(predictor.device.type) == "bf16":
        return torch.autocast(predictor.device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _add_prompt(
    predictor: SAM2VideoPredictor, state: InferenceState, obj_id: int, prompt: FramePrompt
) -> None:
    """A mask first (it becomes the frame's input), then clicks/box refining it."""
    if prompt.mask is not None:
        predictor.add_new_mask(state, prompt.frame, obj_id, np.asarray(prompt.mask).astype(bool))
    if prompt.points or prompt.box is not None:
        predictor.add_new_points_or_box(
            state,
            frame_idx=prompt.frame,
            obj_id=obj_id,
            points=prompt.points or None,
            labels=prompt.labels if prompt.points else None,
            box=prompt.box,
        )


def _merge_by_frame(prompts: list[FramePrompt]) -> list[FramePrompt]:
    """One prompt per frame, in frame order: clicks concatenated, the first box and mask kept."""
    merged: dict[int, FramePrompt] = {}
    for prompt in sorted(prompts, key=lambda p: p.frame):
        into = merged.setdefault(prompt.frame, FramePrompt(frame=prompt.frame))
        if prompt.points:
            labels = prompt.labels if prompt.labels is not None else [1] * len(prompt.points)
            into.points = [*(into.points or []), *prompt.points]
            into.labels = [*(into.labels or []), *labels]
        into.box = into.box if into.box is not None else prompt.box
        into.mask = into.mask if into.mask is not None else prompt.mask
    return list(merged.values())
