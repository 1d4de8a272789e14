"""SAM 2 tracking as a vfx mask source: prompts in, per-object probabilities out.

:func:`track_objects` drives a :class:`sam2.sam2_video_predictor.SAM2VideoPredictor` from
:class:`~vfx.prompts.model.ObjectPrompts` and yields every frame's probabilities;
:func:`track_to_store` writes them into a :class:`~vfx.masks.MaskletStore` (which is itself a
mask source). Every prompted frame is a conditioning frame, so a correction on a later frame
persists; tracking runs forward from the first prompted frame and, when that is not frame 0,
backward from it too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from tqdm import tqdm

from vfx.errors import VfxError
from vfx.masks import MaskletStore
from vfx.prompts.model import FramePrompt, ObjectPrompts

if TYPE_CHECKING:
    from sam2.sam2_video_predictor import SAM2VideoPredictor


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


def sam2_frames(video: Any) -> Any:
    """What to give ``init_state``: a video file read by vfx's reader (exact seeking, rotation,
    deep colour), anything else (frame folder, frames in memory, iterator) as it is."""
    if isinstance(video, (str, Path)) and Path(video).is_file():
        from sam2.video_state import VideoFileFrames

        return VideoFileFrames(_ReaderForSam2(Path(video)))
    return video


def track_objects(
    predictor: SAM2VideoPredictor,
    video: Any,
    objects: list[ObjectPrompts],
    progress: bool = True,
    phase: Callable[[str], None] | None = None,
    first_frame: int = 0,
) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
    """Track ``objects`` through ``video`` (file, frame folder, frame array/list or iterator).

    Yields ``(frame_index, {obj_id: [H, W] float32 probability 0..1})`` once per frame: first the
    forward pass from the earliest prompted frame, then the frames before it in reverse order.
    Prompts outside the video, or objects without prompts, raise :class:`VfxError`.
    ``phase`` is told as each slow step starts (reading the video, encoding a prompted frame);
    ``first_frame`` is the number its messages give ``video``'s first frame (a segment's start).
    """
    phase = phase or (lambda text: None)
    if not objects:
        raise VfxError("no objects to track; add a prompt such as --point 0:320,240")
    for obj in objects:
        if not obj.prompts:
            raise VfxError(f"object {obj.id} ({obj.name}) has no prompts; give it a point or box")
        for prompt in obj.prompts:
            _check_prompt(obj, prompt)
    previous_mode = predictor.add_all_frames_to_correct_as_cond
    predictor.add_all_frames_to_correct_as_cond = True
    try:
        with torch.inference_mode(), _precision(predictor):
            phase(f"reading video and encoding frame {first_frame}")
            state = predictor.init_state(sam2_frames(video))
            for obj in objects:
                for prompt in _merge_by_frame(obj.prompts):
                    _check_in_video(obj, prompt, state.num_frames, state.video_width,
                                    state.video_height)
                    if prompt.frame != 0:
                        number = prompt.frame + first_frame
                        phase(f"encoding frame {number} for object {obj.id}'s prompt")
                    _add_prompt(predictor, state, obj.id, prompt)
        first = min(prompt.frame for obj in objects for prompt in obj.prompts)
        passes = [predictor.propagate_in_video(state, start_frame_idx=first)]
        if first > 0:
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
                    if number > 0 and index == first:
                        continue  # the forward pass already gave the first prompted frame
                    yield index, {int(i): probs[k] for k, i in enumerate(obj_ids)}
                    bar.update(1)
    finally:
        predictor.add_all_frames_to_correct_as_cond = previous_mode


def _precision(predictor: SAM2VideoPredictor) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA, as the official predictor is run there; exact fp32 elsewhere
    (the CPU's bf16 mode is opt-in: ``predictor.tracking_precision``)."""
    if predictor.device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def track_to_store(
    predictor: SAM2VideoPredictor,
    video: Any,
    objects: list[ObjectPrompts],
    directory: str | Path,
    meta: dict[str, Any],
    progress: bool = True,
) -> MaskletStore:
    """Track ``objects`` and write the probabilities into a masklet store at ``directory``.

    ``meta`` is the store metadata (at least width, height and fps; see
    :meth:`MaskletStore.create`); object names are filled in from ``objects`` when missing. The
    store appears (complete) only when tracking finished. Returns it opened for reading.
    """
    meta = dict(meta)
    meta.setdefault("objects", [{"id": obj.id, "name": obj.name} for obj in objects])
    with MaskletStore.create(directory, meta) as writer:
        for index, masks in track_objects(predictor, video, objects, progress=progress):
            writer.write_frame(index, masks)
    return MaskletStore.open(directory)


def _check_prompt(obj: ObjectPrompts, prompt: FramePrompt) -> None:
    """Checks that need no video."""
    where = f"object {obj.id} ({obj.name}) frame {prompt.frame}"
    if prompt.frame < 0:
        raise VfxError(f"{where}: frame numbers start at 0")
    if prompt.points is None and prompt.box is None and prompt.mask is None:
        raise VfxError(f"{where}: the prompt is empty; give points, a box or a mask")
    if prompt.labels is not None and len(prompt.labels) != len(prompt.points or []):
        count = len(prompt.points or [])
        raise VfxError(f"{where}: {count} points but {len(prompt.labels)} labels; give one each")
    if prompt.mask is not None and np.asarray(prompt.mask).ndim != 2:
        raise VfxError(f"{where}: the mask must be a single-channel [H, W] image")


def _check_in_video(
    obj: ObjectPrompts, prompt: FramePrompt, frame_count: int | None, width: int, height: int
) -> None:
    """Checks against the video's length and frame size."""
    where = f"object {obj.id} ({obj.name}) frame {prompt.frame}"
    if frame_count is not None and prompt.frame >= frame_count:
        raise VfxError(f"{where}: the frame is outside the video; use frames 0..{frame_count - 1}")
    for x, y in [*(prompt.points or []), *_corners(prompt.box)]:
        if not (0 <= x <= width and 0 <= y <= height):
            raise VfxError(f"{where}: ({x}, {y}) is outside the {width}x{height} frame")


def _corners(box: list[float] | None) -> list[tuple[float, float]]:
    return [] if box is None else [(box[0], box[1]), (box[2], box[3])]


def _add_prompt(
    predictor: SAM2VideoPredictor, state: Any, obj_id: int, prompt: FramePrompt
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
