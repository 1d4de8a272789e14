"""Track once, render many: SAM 2 tracking into the masklet cache.

:func:`track_cached` looks the masklets up by a key made of the video's content
hash, the prompts, the model (name and checkpoint identity) and the tracker's
settings (:func:`vfx.masks.masklet_cache_key`). On a hit the store is reused and
no model loads; on a miss the tracker runs and writes the store, which is marked
complete only when tracking finished.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sam2.precision import PRECISION_CHOICES, resolve_precision
from vfx.errors import VfxError
from vfx.frame_range import FrameRange
from vfx.io.atomic import atomic_output
from vfx.io.file_lock import file_lock
from vfx.io.output_policy import remove_stale_temporaries
from vfx.io.video_source import VideoInfo
from vfx.masks import (
    MaskletStore,
    default_cache_root,
    masklet_cache_key,
    verify_store,
    video_content_hash,
)
from vfx.masks.cache_key import tracking_arithmetic
from vfx.progress import Progress
from vfx.prompts.model import ObjectPrompts
from vfx.prompts.parsing import prompts_identity

if TYPE_CHECKING:
    from vfx.sources.sam2_source import ObjectScores

# Tried in order when no --model is given: the first one found on disk is used.
MODEL_PREFERENCE = (
    "sam2.1_hiera_tiny",
    "sam2.1_hiera_small",
    "sam2.1_hiera_base_plus",
    "sam2.1_hiera_large",
    "sam2_hiera_tiny",
    "sam2_hiera_small",
    "sam2_hiera_base_plus",
    "sam2_hiera_large",
)

TrackFn = Callable[..., Iterator[tuple[int, dict[int, np.ndarray]]]]
"""``run(info, prompts)`` tracks through the video ``info.path``, yielding
``(frame, {obj_id: [H, W] float32 0..1})``; ``run(info, prompts, frames=FrameRange)`` tracks
only that segment (frame indices stay the video's). A segment is asked for only when the
user gives ``--start``/``--end``. ``run(info, prompts, start=F)`` tracks forward from frame F
only (the studio re-tracking after a correction on F)."""


@dataclass(frozen=True)
class Tracker:
    """A tracker, described by what identifies its output for the cache.

    Attributes:
        model: the model identity (name and checkpoint hash).
        load: builds the tracking function (loads weights); called only on a
            cache miss, so a hit never loads a model.
        settings: tracker settings that change the masks.
    """

    model: str
    load: Callable[[], TrackFn]
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelChoice:
    """A SAM 2 model resolved to its checkpoint, before any weights load."""

    name: str
    checkpoint: Path
    identity: str


def choose_model(model: str | None, checkpoint: str | Path | None) -> ModelChoice:
    """Resolve ``--model``/``--checkpoint`` to a checkpoint file (cheap: no weights read).

    Without ``model``, the first model of :data:`MODEL_PREFERENCE` found on disk is
    used; an explicit ``checkpoint`` is the model its official file name says, or
    else the model its contents are (which reads the file).

    Raises:
        VfxError: the model is unknown or no checkpoint is found; the message says
            how to download one.
    """
    from vfx.checkpoints import MODELS, find_checkpoint, resolve_model, verify_checkpoint

    if model is None and checkpoint is not None:
        path = find_checkpoint(MODEL_PREFERENCE[0], checkpoint)  # checks that it exists
        model = path.stem if path.stem in MODELS else verify_checkpoint(path).name
    if model is None:
        for candidate in MODEL_PREFERENCE:
            try:
                path = find_checkpoint(candidate)
            except VfxError:
                continue
            return ModelChoice(candidate, path, f"{candidate}:{video_content_hash(path)}")
        model = MODEL_PREFERENCE[0]
    known = resolve_model(model)
    path = find_checkpoint(known.name, checkpoint)
    return ModelChoice(known.name, path, f"{known.name}:{video_content_hash(path)}")


def cached_store_dir(
    video_hash: str,
    prompts: list[ObjectPrompts],
    model_identity: str,
    settings: dict[str, Any],
    cache_dir: str | Path | None = None,
) -> Path:
    """Where the masklets for these inputs live in the cache (whether or not they exist yet).

    ``video_hash`` is :func:`vfx.masks.video_content_hash` of the video file.
    """
    key = masklet_cache_key(video_hash, prompts_identity(prompts), model_identity, settings)
    return (default_cache_root() if cache_dir is None else Path(cache_dir)) / key


def _segment_settings(settings: dict[str, Any], frames: FrameRange | None) -> dict[str, Any]:
    """Tracker settings plus the segment, when only part of the video is tracked."""
    if frames is None or frames.whole:
        return settings
    return {**settings, "frames": frames.as_list()}


def check_prompts_in_range(prompts: list[ObjectPrompts], frames: FrameRange) -> None:
    """Raise :class:`VfxError` when a prompt lies outside the ``--start``/``--end`` segment."""
    for obj in prompts:
        for prompt in obj.prompts:
            if not frames.start <= prompt.frame < frames.stop:
                raise VfxError(
                    f"object {obj.id} has a prompt on frame {prompt.frame}, outside the segment "
                    f"{frames.start}..{frames.stop - 1} chosen by --start/--end; "
                    "prompt a frame inside it"
                )


def video_file(info: VideoInfo) -> Path:
    """The file (or frame folder) of the video ``info``; :class:`VfxError` for frames in
    memory, which tracking cannot cache or read."""
    if info.path is None:
        raise VfxError("tracking needs a video file or frame folder, not frames in memory")
    return Path(info.path)


def track_cached(
    info: VideoInfo,
    prompts: list[ObjectPrompts],
    tracker: Tracker,
    cache_dir: str | Path | None = None,
    frames: FrameRange | None = None,
    progress: Progress | None = None,
) -> MaskletStore:
    """The masklets for ``prompts`` on the video ``info.path``: from the cache, or tracked now.

    Args:
        info: the video's metadata (its file, size, fps, frame count).
        prompts: validated prompts.
        tracker: the model identity and settings that key the cache, and how to
            load it.
        cache_dir: the cache root (default: ``vfx.masks`` default cache root).
        frames: track only this segment (a store of the whole video is reused for it).
        progress: where phases, the frame counter and notes go (default: stderr).

    Returns:
        The opened, complete :class:`~vfx.masks.MaskletStore`; its ``meta`` records the
        video's absolute path and content hash, the segment and the tracking time.
    """
    progress = Progress() if progress is None else progress
    video = video_file(info).resolve()
    if frames is not None:
        check_prompts_in_range(prompts, frames)
    video_hash = video_content_hash(video)
    whole = cached_store_dir(video_hash, prompts, tracker.model, tracker.settings, cache_dir)
    settings = _segment_settings(tracker.settings, frames)
    store_dir = cached_store_dir(video_hash, prompts, tracker.model, settings, cache_dir)
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    # Concurrent workers on one clip: the first tracks and publishes, the others wait and reuse it.
    with file_lock(store_dir.parent / f".{store_dir.name}.lock"):
        for candidate in dict.fromkeys([whole, store_dir]):  # a whole-video store serves a segment
            if not candidate.exists():
                continue
            damage = verify_store(candidate)
            if damage is None:
                progress.note(f"reused tracking from {candidate}")
                store = MaskletStore.open(candidate)
                # names are not in the key: a hit takes the names given now
                store.names.update({obj.id: obj.name for obj in prompts})
                return store
            print(f"vfx: cached masklets unusable, tracking again: {damage}", file=sys.stderr)
            shutil.rmtree(candidate)
        remove_stale_temporaries(store_dir.parent, (".*.partial-*",))
        segment = frames if frames is not None and not frames.whole else None
        _track_into(store_dir, video, video_hash, info, prompts, tracker, settings, segment,
                    progress)
    return MaskletStore.open(store_dir)


def _track_into(
    store_dir: Path,
    video: Path,
    video_hash: str,
    info: VideoInfo,
    prompts: list[ObjectPrompts],
    tracker: Tracker,
    settings: dict,
    segment: FrameRange | None,
    progress: Progress,
) -> None:
    """Track ``video`` (or its ``segment``) and publish the store at ``store_dir`` (the caller
    holds its lock)."""
    run = tracker.load()
    total = info.frame_count if segment is None else segment.count
    meta = {
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "frame_count": info.frame_count,
        "objects": [{"id": obj.id, "name": obj.name} for obj in prompts],
        "video": {"path": str(video), "hash": video_hash},
        "model": tracker.model,
        "prompts": prompts_identity(prompts),
        "settings": settings,
        "frames": [0, info.frame_count] if segment is None else segment.as_list(),
    }
    steps = run(info, prompts) if segment is None else run(info, prompts, frames=segment)
    counter = progress.counter("tracking", total)
    with MaskletStore.create(store_dir, meta) as writer:
        for index, masks in steps:
            writer.write_frame(index, masks)
            counter.advance()
        writer.meta["tracking_seconds"] = round(counter.seconds(), 3)
    progress.note(
        f"tracked {counter.done} frames in {counter.seconds():.1f} s "
        f"({counter.seconds_per_step():.2f} s/frame); masks cached in {store_dir}"
    )


def copy_store(store_dir: Path, output: Path) -> None:
    """Copy a masklet store folder to ``output`` atomically, checking the copy is whole."""
    with atomic_output(output, directory=True) as tmp:
        for entry in sorted(store_dir.rglob("*")):  # parents sort before their children
            target = tmp / entry.relative_to(store_dir)
            if entry.is_dir():
                target.mkdir()
            else:
                shutil.copyfile(entry, target)  # a full disk raises here, not in a summary
        damage = verify_store(tmp)
        if damage is not None:
            raise VfxError(
                f"the copy of the masklets to {output} is damaged ({damage}); "
                "check the disk and run `vfx track` again"
            )


# SAM 2 arithmetic on the CPU (sam2.configs.PRECISIONS): ``fp32`` matches the official model;
# ``bf16`` runs the image encoder and memory attention from bf16 matmuls (about 1.5x faster on
# CPUs with avx512_bf16 or AMX, much slower on CPUs without them; masks agree with fp32 to IoU
# ~0.999).


def check_device(device: str) -> None:
    """Raise :class:`VfxError` when ``device`` names an accelerator this PyTorch build lacks.

    Runs before any model loads, so ``--device cuda`` on a CPU-only build is one line.
    """
    kind = device.split(":", 1)[0]
    if kind not in ("cuda", "mps"):
        return
    import torch

    if kind == "cuda" and not torch.cuda.is_available():
        raise VfxError(
            "--device cuda: this PyTorch has no usable CUDA (a CPU-only build, or no GPU "
            "driver); use --device cpu or auto"
        )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise VfxError("--device mps: Apple MPS is not available here; use --device cpu or auto")


def check_precision(precision: str) -> None:
    """Raise :class:`VfxError` unless ``precision`` is one of :data:`PRECISION_CHOICES`."""
    if precision not in PRECISION_CHOICES:
        choices = ", ".join(PRECISION_CHOICES)
        raise VfxError(f"unknown precision {precision!r}; use one of: {choices}")


def sam2_tracker(
    choice: ModelChoice,
    device: str = "auto",
    progress: bool | Progress = True,
    precision: str = "auto",
    on_scores: Callable[[int, dict[int, ObjectScores]], None] | None = None,
) -> Tracker:
    """SAM 2 video tracking for :func:`track_cached`; weights load only on a cache miss.

    Loading verifies the checkpoint first (wrong model size, or a pickle that
    would run code, is a :class:`VfxError`). ``precision`` is one of :data:`PRECISION_CHOICES`;
    ``auto`` is resolved now (:func:`sam2.precision.resolve_precision`) and the choice is said
    when the model loads. The cache key holds the arithmetic actually used: the device
    (``auto`` resolved now), the precision and the autocast dtype
    (:func:`vfx.masks.tracking_arithmetic`). ``progress`` reports the phases (loading the
    model, reading the video, encoding the first frame). ``on_scores`` receives each frame's
    per-object object scores (see :func:`vfx.sources.sam2_source.track_objects`).
    """
    check_precision(precision)
    from sam2.model_building import default_device
    from vfx.sources.sam2_source import autocast_dtype

    reporter = progress if isinstance(progress, Progress) else Progress(enabled=progress)
    device_type = default_device().type if device == "auto" else device.split(":")[0]
    precision, reason = resolve_precision(precision, device_type)

    def load() -> TrackFn:
        from sam2.build_sam import build_sam2_video_predictor
        from vfx.checkpoints import resolve_model, verify_checkpoint
        from vfx.sources.sam2_source import track_objects

        known = resolve_model(choice.name)
        verify_checkpoint(choice.checkpoint, known)  # before any line, so errors stay one line
        reporter.phase(f"loading model {choice.name} from {choice.checkpoint}")
        predictor = build_sam2_video_predictor(
            known.config_file,
            str(choice.checkpoint),
            device=None if device == "auto" else device,
            image_encoder_precision=precision,
        )
        predictor.tracking_precision = precision
        reporter.note(f"tracking in {precision} on {device_type} ({reason})")
        if precision == "bf16" and predictor.device.type == "cpu":
            from sam2.cpu_features import native_bf16

            if native_bf16() is False:
                print(
                    "vfx: warning: this CPU has no native bf16 (avx512_bf16/AMX), so "
                    "--precision bf16 runs slower than fp32 here; use fp32",
                    file=sys.stderr,
                )

        def run(
            info: VideoInfo,
            prompts: list[ObjectPrompts],
            frames: FrameRange | None = None,
            start: int | None = None,
        ) -> Iterator[tuple[int, dict]]:
            # every prompted frame is a conditioning frame, so corrections persist
            if frames is None:
                yield from track_objects(predictor, str(info.path), prompts, progress=False,
                                         on_scores=on_scores, phase=reporter.phase, start=start)
                return
            if start is not None:
                raise ValueError("start= re-tracks a whole video's store, not a segment")
            from vfx.sources.segment_frames import segment_video, shift_prompts

            video = segment_video(info, frames, prompts)
            shifted = shift_prompts(prompts, -frames.start)

            def scores(index: int, values: dict[int, ObjectScores]) -> None:
                if on_scores is not None:
                    on_scores(index + frames.start, values)

            for index, masks in track_objects(predictor, video, shifted, progress=False,
                                              on_scores=scores, phase=reporter.phase,
                                              first_frame=frames.start):
                yield index + frames.start, masks

        return run

    settings = tracking_arithmetic(device_type, precision, autocast_dtype(device_type))
    return Tracker(model=choice.identity, load=load, settings=settings)


@dataclass(frozen=True)
class TrackingOptions:
    """How to get masklets from prompts: which model, where, and where to cache.

    Attributes:
        model: SAM 2 model name (default: the first of :data:`MODEL_PREFERENCE` found).
        checkpoint: explicit checkpoint file.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        precision: SAM 2 arithmetic on the CPU, one of :data:`PRECISION_CHOICES` (``auto``:
            bf16 where the CPU has it natively; CUDA always tracks under bf16 autocast, as the
            official code is run there).
        progress: show a tracking progress bar.
        cache_dir: masklet cache root (default: :func:`vfx.masks.default_cache_root`).
        tracker: a tracker to use instead of SAM 2.
        reporter: where phases and notes go (default: a :class:`~vfx.progress.Progress`
            on stderr, enabled by ``progress``).
    """

    model: str | None = None
    checkpoint: str | Path | None = None
    device: str = "auto"
    precision: str = "auto"
    progress: bool = True
    cache_dir: str | Path | None = None
    tracker: Tracker | None = None
    reporter: Progress | None = None

    def __post_init__(self) -> None:
        check_precision(self.precision)
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    def masklets(
        self, info: VideoInfo, prompts: list[ObjectPrompts], frames: FrameRange | None = None
    ) -> MaskletStore:
        """The masklets for ``prompts`` on the video ``info.path`` (or the segment ``frames``
        of it): cached, or tracked now."""
        video_file(info)  # before a model loads
        reporter = self.reporter if self.reporter is not None else Progress(self.progress)
        tracker = self.tracker
        if tracker is None:
            check_device(self.device)
            choice = choose_model(self.model, self.checkpoint)
            tracker = sam2_tracker(choice, self.device, reporter, self.precision)
        return track_cached(info, prompts, tracker, self.cache_dir, frames, reporter)


def image_predictor(choice: ModelChoice, device: str = "auto") -> Any:
    """A :class:`sam2.sam2_image_predictor.SAM2ImagePredictor` for ``choice`` (verifies the
    checkpoint, then loads it)."""
    from sam2.build_sam import build_sam2
    from sam2.sam2_image_predictor import SAM2ImagePredictor
    from vfx.checkpoints import resolve_model, verify_checkpoint

    check_device(device)
    known = resolve_model(choice.name)
    verify_checkpoint(choice.checkpoint, known)
    model = build_sam2(
        known.config_file, str(choice.checkpoint), device=None if device == "auto" else device
    )
    return SAM2ImagePredictor(model)


def predict_frame_masks(
    rgb: np.ndarray,
    index: int,
    prompts: list[ObjectPrompts],
    choice: ModelChoice,
    device: str = "auto",
) -> dict[int, np.ndarray]:
    """SAM 2 image-predictor masks for one frame (``[H, W, 3]`` uint8) from its prompts.

    Uses the points and box each object has on frame ``index`` (a mask prompt alone is its own
    mask); returns ``{obj_id: [H, W] float32 0..1}``.
    """
    import torch

    predictor = image_predictor(choice, device)
    out = {}
    with torch.inference_mode():
        predictor.set_image(rgb)
        for obj in prompts:
            for fp in obj.prompts:
                if fp.frame == index and fp.mask is not None and not fp.points and fp.box is None:
                    out[obj.id] = np.asarray(fp.mask, dtype=np.float32)
                if fp.frame != index or (not fp.points and fp.box is None):
                    continue
                masks, _, _ = predictor.predict(
                    point_coords=None if not fp.points else np.asarray(fp.points, np.float32),
                    point_labels=None if not fp.points else np.asarray(fp.labels, np.int32),
                    box=None if fp.box is None else np.asarray(fp.box, np.float32),
                    multimask_output=False,
                )
                out[obj.id] = masks[0].astype(np.float32)  # [1, H, W] -> [H, W]
    return out
