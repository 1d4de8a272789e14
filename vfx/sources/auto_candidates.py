"""Automatic mask candidates of one frame: generated, numbered by area, and cached.

:func:`segment_frame` runs :class:`~sam2.automatic_mask_generator.SAM2AutomaticMaskGenerator`
on a frame and numbers its masks by area (1 = largest, as ``vfx segment`` shows them).
:func:`frame_candidates` does the same for a frame of a video file, through a cache beside the
masklets (``<cache root>/.auto-candidates/<key>.npz``), so that re-rendering with ``--auto``, or
rendering with ``--auto ids:...`` after ``vfx segment``, does not run the generator again. The
key holds what changes the candidates: the video's content hash, the frame, the model and its
checkpoint, the arithmetic (device type, fp32) and every generator setting (defaults filled
in). A cache file is data only (``np.load`` without pickles); an unreadable one is a miss.
"""

from __future__ import annotations

import inspect
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.masks import default_cache_root, masklet_cache_key, video_content_hash
from vfx.masks.cache_inventory import AUTO_CANDIDATES_FOLDER

CACHE_FORMAT = 1
"""Version of the cache files and keys: bumped when the layout or the generator's output changes."""


@dataclass(frozen=True)
class Candidate:
    """One automatic mask, numbered by area (1 = largest).

    Attributes:
        id: the number ``vfx segment`` shows.
        mask: ``[H, W]`` bool.
        bbox: ``[x, y, w, h]`` pixels (as the generator reports it).
        area: pixels in the mask.
        score: the model's predicted IoU.
        stability: the stability score.
    """

    id: int
    mask: np.ndarray = field(repr=False)
    bbox: list[float]
    area: int
    score: float
    stability: float


def number_candidates(records: list[dict[str, Any]]) -> list[Candidate]:
    """Generator records (``output_mode="binary_mask"``) as candidates numbered by area, largest
    first (ties keep the generator's order)."""
    order = sorted(range(len(records)), key=lambda i: -records[i]["area"])
    return [
        Candidate(
            id=number,
            mask=np.asarray(records[i]["segmentation"], dtype=bool),
            bbox=[float(v) for v in records[i]["bbox"]],
            area=int(records[i]["area"]),
            score=float(records[i]["predicted_iou"]),
            stability=float(records[i]["stability_score"]),
        )
        for number, i in enumerate(order, start=1)
    ]


def generator_settings(generator_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every generator setting that changes the masks: the constructor's defaults overlaid with
    ``generator_options`` (``output_mode`` left out: candidates are always binary masks)."""
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    settings: dict[str, Any] = {}
    # Base classes first, so that a subclass's own defaults win.
    for klass in reversed(SAM2AutomaticMaskGenerator.__mro__):
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for name, parameter in inspect.signature(init).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                settings[name] = parameter.default
    settings.update(generator_options or {})
    settings.pop("output_mode", None)
    return settings


def segment_frame(
    rgb: np.ndarray,
    *,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    generator_options: Mapping[str, Any] | None = None,
) -> list[Candidate]:
    """Automatic masks of one ``[H, W, 3]`` uint8 frame, numbered by area (no cache).

    ``generator_options`` are :class:`~sam2.automatic_mask_generator.SAM2AutomaticMaskGenerator`
    keyword arguments (the official defaults otherwise; ``output_mode`` is fixed).
    """
    import torch

    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
    from sam2.build_sam import build_sam2
    from vfx.checkpoints import resolve_model, verify_checkpoint
    from vfx.sources.tracking import check_device, choose_model

    options = dict(generator_options or {})
    options.pop("output_mode", None)
    check_device(device)
    choice = choose_model(model, checkpoint)
    known = resolve_model(choice.name)
    verify_checkpoint(choice.checkpoint, known)
    sam = build_sam2(
        known.config_file, str(choice.checkpoint), device=None if device == "auto" else device
    )
    try:
        generator = SAM2AutomaticMaskGenerator(sam, output_mode="binary_mask", **options)
    except (TypeError, ValueError) as exc:
        raise VfxError(f"bad automatic mask settings: {exc}") from None
    with torch.inference_mode():
        return number_candidates(generator.generate(rgb))


def frame_candidates(
    video: Any,
    frame: int,
    *,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    generator_options: Mapping[str, Any] | None = None,
    cache_dir: str | Path | None = None,
) -> list[Candidate]:
    """:func:`segment_frame` of frame ``frame`` of an open video (a
    :class:`~vfx.io.video_source.VideoReader`), from the candidate cache when it holds them
    (see the module docstring), else generated and cached. Frames in memory (no
    ``info.path``) are not cached."""
    path = None
    if video.info.path is not None:
        path = candidate_cache_file(
            video_content_hash(video.info.path),
            frame,
            model=model,
            checkpoint=checkpoint,
            device=device,
            generator_options=generator_options,
            cache_dir=cache_dir,
        )
        cached = read_candidates(path)
        if cached is not None:
            return cached
    candidates = segment_frame(
        video.read(frame),
        model=model,
        checkpoint=checkpoint,
        device=device,
        generator_options=generator_options,
    )
    if path is not None:
        write_candidates(path, candidates)
    return candidates


def candidate_cache_file(
    video_hash: str,
    frame: int,
    *,
    model: str | None,
    checkpoint: str | Path | None,
    device: str,
    generator_options: Mapping[str, Any] | None,
    cache_dir: str | Path | None = None,
) -> Path:
    """Where the candidates of ``frame`` of the video with content hash ``video_hash`` are
    cached (whether or not they are). Resolves the model and checkpoint (cheap: no weights
    load) and ``device="auto"`` to the device type the generator would run on."""
    from sam2.model_building import default_device
    from vfx.sources.tracking import check_device, choose_model

    check_device(device)
    choice = choose_model(model, checkpoint)
    device_type = default_device().type if device == "auto" else device.split(":")[0]
    # The generator runs the model in fp32 whatever --precision says (it builds its own).
    arithmetic = {"device": device_type, "precision": "fp32", "format": CACHE_FORMAT}
    what = {"auto_frame": frame, "generator": generator_settings(generator_options)}
    key = masklet_cache_key(video_hash, what, choice.identity, arithmetic)
    root = default_cache_root() if cache_dir is None else Path(cache_dir)
    return root / AUTO_CANDIDATES_FOLDER / f"{key}.npz"


def write_candidates(path: Path, candidates: list[Candidate]) -> None:
    """Save ``candidates`` (in their numbered order) to ``path`` atomically: masks as
    column-major run lengths, the rest as plain arrays."""
    from sam2.mask_rle import crop_masks_to_rles

    runs: list[np.ndarray] = []
    size = [0, 0]
    for candidate in candidates:
        height, width = candidate.mask.shape
        size = [height, width]
        (rle,) = crop_masks_to_rles(candidate.mask[None], [0, 0, width, height], (height, width))
        runs.append(rle["counts"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            format=np.int64(CACHE_FORMAT),
            size=np.array(size, dtype=np.int64),
            run_counts=np.array([len(r) for r in runs], dtype=np.int64),  # [N]
            runs=np.concatenate([np.zeros(0, np.int64), *runs]).astype(np.int64),  # all masks
            bbox=np.array([c.bbox for c in candidates], dtype=np.float64).reshape(-1, 4),
            area=np.array([c.area for c in candidates], dtype=np.int64),
            score=np.array([c.score for c in candidates], dtype=np.float64),
            stability=np.array([c.stability for c in candidates], dtype=np.float64),
        )


def read_candidates(path: Path) -> list[Candidate] | None:
    """The candidates :func:`write_candidates` saved at ``path``; None when there is no such
    file, or it is unreadable, damaged or of another format (the caller generates again)."""
    from sam2.mask_rle import rle_to_mask

    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != CACHE_FORMAT:
                return None
            size = [int(v) for v in data["size"]]
            ends = np.cumsum(data["run_counts"])
            runs = np.split(data["runs"], ends[:-1]) if len(ends) else []
            candidates = []
            for index, counts in enumerate(runs):
                if counts.sum() != size[0] * size[1]:
                    return None
                mask = rle_to_mask({"size": size, "counts": counts})
                if int(mask.sum()) != int(data["area"][index]):
                    return None
                candidates.append(
                    Candidate(
                        id=index + 1,
                        mask=mask,
                        bbox=data["bbox"][index].tolist(),
                        area=int(data["area"][index]),
                        score=float(data["score"][index]),
                        stability=float(data["stability"][index]),
                    )
                )
    except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile):
        return None
    return candidates
