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
from typing import Any

import numpy as np

from sam2.precision import PRECISIONS
from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.output_policy import remove_stale_temporaries
from vfx.io.video_source import VideoInfo
from vfx.masks import (
    MaskletStore,
    default_cache_root,
    masklet_cache_key,
    verify_store,
    video_content_hash,
)
from vfx.prompts.model import ObjectPrompts
from vfx.prompts.parsing import prompts_identity

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

TrackFn = Callable[[VideoInfo, list[ObjectPrompts]], Iterator[tuple[int, dict[int, np.ndarray]]]]
"""Tracks through the video ``info.path``, yielding ``(frame, {obj_id: [H, W] float32 0..1})``."""


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
    cache_dir: Path | None = None,
) -> Path:
    """Where the masklets for these inputs live in the cache (whether or not they exist yet).

    ``video_hash`` is :func:`vfx.masks.video_content_hash` of the video file.
    """
    key = masklet_cache_key(video_hash, prompts_identity(prompts), model_identity, settings)
    return (default_cache_root() if cache_dir is None else Path(cache_dir)) / key


def track_cached(
    info: VideoInfo,
    prompts: list[ObjectPrompts],
    tracker: Tracker,
    cache_dir: Path | None = None,
) -> MaskletStore:
    """The masklets for ``prompts`` on the video ``info.path``: from the cache, or tracked now.

    Args:
        info: the video's metadata (its file, size, fps, frame count).
        prompts: validated prompts.
        tracker: the model identity and settings that key the cache, and how to
            load it.
        cache_dir: the cache root (default: ``vfx.masks`` default cache root).

    Returns:
        The opened, complete :class:`~vfx.masks.MaskletStore`.
    """
    video = Path(info.path)
    video_hash = video_content_hash(video)
    store_dir = cached_store_dir(video_hash, prompts, tracker.model, tracker.settings, cache_dir)
    if store_dir.exists():
        damage = verify_store(store_dir)
        if damage is None:
            return MaskletStore.open(store_dir)
        print(f"vfx: cached masklets unusable, tracking again: {damage}", file=sys.stderr)
        shutil.rmtree(store_dir)
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(store_dir.parent, (".*.partial-*",))
    run = tracker.load()
    meta = {
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "frame_count": info.frame_count,
        "objects": [{"id": obj.id, "name": obj.name} for obj in prompts],
        "video": {"path": str(video), "hash": video_hash},
        "model": tracker.model,
        "prompts": prompts_identity(prompts),
        "settings": tracker.settings,
    }
    with MaskletStore.create(store_dir, meta) as writer:
        for index, masks in run(info, prompts):
            writer.write_frame(index, masks)
    return MaskletStore.open(store_dir)


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
    """Raise :class:`VfxError` unless ``precision`` is one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise VfxError(f"unknown precision {precision!r}; use one of: {', '.join(PRECISIONS)}")


def sam2_tracker(
    choice: ModelChoice, device: str = "auto", progress: bool = True, precision: str = "fp32"
) -> Tracker:
    """SAM 2 video tracking for :func:`track_cached`; weights load only on a cache miss.

    Loading verifies the checkpoint first (wrong model size, or a pickle that
    would run code, is a :class:`VfxError`). ``precision`` is one of :data:`PRECISIONS`; a
    non-default one is part of the cache key.
    """
    check_precision(precision)

    def load() -> TrackFn:
        from sam2.build_sam import build_sam2_video_predictor
        from vfx.checkpoints import resolve_model, verify_checkpoint
        from vfx.sources.sam2_source import track_objects

        known = resolve_model(choice.name)
        verify_checkpoint(choice.checkpoint, known)
        predictor = build_sam2_video_predictor(
            known.config_file,
            str(choice.checkpoint),
            device=None if device == "auto" else device,
            image_encoder_precision=precision,
        )
        predictor.tracking_precision = precision
        if precision == "bf16" and predictor.device.type == "cpu":
            from sam2.cpu_features import native_bf16

            if native_bf16() is False:
                print(
                    "vfx: warning: this CPU has no native bf16 (avx512_bf16/AMX), so "
                    "--precision bf16 runs slower than fp32 here; use fp32",
                    file=sys.stderr,
                )

        def run(info: VideoInfo, prompts: list[ObjectPrompts]) -> Iterator[tuple[int, dict]]:
            # every prompted frame is a conditioning frame, so corrections persist
            yield from track_objects(predictor, str(info.path), prompts, progress=progress)

        return run

    settings = {} if precision == "fp32" else {"precision": precision}
    return Tracker(model=choice.identity, load=load, settings=settings)


@dataclass(frozen=True)
class TrackingOptions:
    """How to get masklets from prompts: which model, where, and where to cache.

    Attributes:
        model: SAM 2 model name (default: the first of :data:`MODEL_PREFERENCE` found).
        checkpoint: explicit checkpoint file.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        precision: SAM 2 arithmetic on the CPU, one of :data:`PRECISIONS` (CUDA always tracks
            under bf16 autocast, as the official code is run there).
        progress: show a tracking progress bar.
        cache_dir: masklet cache root (default: :func:`vfx.masks.default_cache_root`).
        tracker: a tracker to use instead of SAM 2.
    """

    model: str | None = None
    checkpoint: str | Path | None = None
    device: str = "auto"
    precision: str = "fp32"
    progress: bool = True
    cache_dir: str | Path | None = None
    tracker: Tracker | None = None

    def __post_init__(self) -> None:
        check_precision(self.precision)
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    def masklets(self, info: VideoInfo, prompts: list[ObjectPrompts]) -> MaskletStore:
        """The masklets for ``prompts`` on the video ``info.path``: cached, or tracked now."""
        if info.path is None:
            raise VfxError("tracking needs a video file or frame folder, not frames in memory")
        tracker = self.tracker
        if tracker is None:
            check_device(self.device)
            choice = choose_model(self.model, self.checkpoint)
            tracker = sam2_tracker(choice, self.device, self.progress, self.precision)
        return track_cached(info, prompts, tracker, self.cache_dir)


def predict_frame_masks(
    rgb: np.ndarray,
    index: int,
    prompts: list[ObjectPrompts],
    choice: ModelChoice,
    device: str = "auto",
) -> dict[int, np.ndarray]:
    """SAM 2 image-predictor masks for one frame (``[H, W, 3]`` uint8) from its prompts.

    Uses the points and box each object has on frame ``index``; returns
    ``{obj_id: [H, W] float32 0..1}``.
    """
    import torch

    from sam2.build_sam import build_sam2
    from sam2.sam2_image_predictor import SAM2ImagePredictor
    from vfx.checkpoints import resolve_model, verify_checkpoint

    check_device(device)
    known = resolve_model(choice.name)
    verify_checkpoint(choice.checkpoint, known)
    model = build_sam2(
        known.config_file, str(choice.checkpoint), device=None if device == "auto" else device
    )
    predictor = SAM2ImagePredictor(model)
    out = {}
    with torch.inference_mode():
        predictor.set_image(rgb)
        for obj in prompts:
            for fp in obj.prompts:
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
