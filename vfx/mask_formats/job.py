"""What a format writer gets: the prepared masks of one export, frame by frame.

:func:`prepare_job` resolves the source's size, length, fps and video, checks the
user's choices, and yields each frame's masks after the per-object steps, in
this order: ``threshold`` (binarise the probabilities), ``dilate``, ``feather``,
then ``combine`` (separate, union, labels), then ``invert``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vfx.errors import VfxError
from vfx.frame_range import resolve_range
from vfx.io.reader import open_video
from vfx.limits import check_range
from vfx.mask_formats.choices import COMBINES
from vfx.mask_formats.sidecar import FORMAT_TAG, VERSION
from vfx.masks import feather_mask, grow_mask, video_content_hash
from vfx.masks.masklet_store import MAX_SIDE
from vfx.sources.base import MaskSource

if TYPE_CHECKING:
    from vfx.mask_formats.conform import ConformPlan

# A label map is one byte per pixel, so label ids must fit in it.
MAX_LABEL_ID = 255


@dataclass(frozen=True)
class ExportFrame:
    """One frame of an export.

    Attributes:
        index: source frame index.
        masks: ``{output_id: [H, W] float32 0..1}``; empty for label maps.
        labels: ``[H, W]`` uint8 label map (object id per pixel, 0 = none) or ``None``.
        rgb: ``[H, W, 3]`` uint8 source frame when the job reads the video, else ``None``.
    """

    index: int
    masks: dict[int, np.ndarray]
    labels: np.ndarray | None = None
    rgb: np.ndarray | None = None


@dataclass
class ExportJob:
    """The prepared export: metadata plus a frame stream (see :meth:`frames`).

    Attributes:
        source: the mask source.
        layout: ``"objects"`` (one mask per object), ``"mask"`` (one combined
            mask) or ``"labels"``.
        objects: ``{output_id: name}`` in the exported order.
        selected: source object ids that feed the export.
        width, height, frame_count: the masks' size and length.
        fps: frame rate, or ``None`` when neither the masks nor a video records one.
        video: the source video, or ``None``.
        settings: the processing settings, for the sidecar.
        first: the source frame that export frame 0 is (``--start``); ``frame_count``
            frames from it are exported.
        video_problem: why the video the masks record cannot be used (moved, changed),
            told to the user when an export needs the frames.
    """

    source: MaskSource
    layout: str
    objects: dict[int, str]
    selected: list[int]
    width: int
    height: int
    frame_count: int
    fps: float | None
    video: Path | None
    settings: dict = field(default_factory=dict)
    first: int = 0
    video_problem: str | None = None

    def description(self, export: str, **extra: object) -> dict:
        """The sidecar description of this export (see :mod:`vfx.mask_formats.sidecar`)."""
        return {
            "format": FORMAT_TAG,
            "version": VERSION,
            "export": export,
            "layout": self.layout,
            "objects": [{"id": i, "name": n} for i, n in self.objects.items()],
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "source_video": str(self.video) if self.video else None,
            "source_frames": [self.first, self.first + self.frame_count],
            "processing": self.settings,
            **extra,
        }

    def conformed_description(self, export: str, plan: ConformPlan, **paths: object) -> dict:
        """The description of a conformed export (vace, comfy): the plan's size, length and
        rate replace the source's, and the conform steps are recorded."""
        return self.description(
            export,
            **paths,
            width=plan.size[0],
            height=plan.size[1],
            frame_count=plan.frame_count,
            fps=plan.fps,
            conform=plan.describe(),
        )

    def require_fps(self, export: str) -> float:
        """The frame rate, or :class:`VfxError` for formats that must record one."""
        if not self.fps:
            raise VfxError(
                f"the masks record no frame rate, {export} needs one; pass --video INPUT"
            )
        return self.fps

    def frames(self, *, with_video: bool = False) -> Iterator[ExportFrame]:
        """Stream the prepared frames in order; ``with_video`` adds the source pixels.

        Frames are numbered from 0 at :attr:`first`."""
        needs_pixels = with_video or self.source.frame_count is None
        if not needs_pixels:
            for index in range(self.frame_count):
                yield self._prepare(index, None)
            return
        if self.video is None:
            raise VfxError(
                self.video_problem or "this export needs the source frames; pass --video INPUT"
            )
        with open_video(self.video) as reader:
            for frame in reader.frames(self.first, self.first + self.frame_count):
                yield self._prepare(frame.index - self.first, frame.rgb)

    def _prepare(self, index: int, rgb: np.ndarray | None) -> ExportFrame:
        raw = self.source.masks_at(self.first + index, rgb)
        settings = self.settings
        shaped = {}
        for obj in self.selected:
            alpha = raw[obj]
            if settings["threshold"] is not None:
                alpha = (alpha >= settings["threshold"]).astype(np.float32)
            if settings["dilate"]:
                alpha = grow_mask(alpha, settings["dilate"])
            if settings["feather"]:
                alpha = feather_mask(alpha, settings["feather"])
            shaped[obj] = alpha
        if self.layout == "labels":
            return ExportFrame(index, {}, labels=_label_map(shaped), rgb=rgb)
        if self.layout == "mask":
            (out_id,) = self.objects
            combined = np.maximum.reduce(list(shaped.values()))
            shaped = {out_id: combined}
        if settings["invert"]:
            shaped = {obj: 1.0 - alpha for obj, alpha in shaped.items()}
        return ExportFrame(index, shaped, rgb=rgb)


def _label_map(alphas: dict[int, np.ndarray]) -> np.ndarray:
    """``[H, W]`` uint8: the id of the strongest object with alpha >= 0.5, else 0."""
    ids = list(alphas)
    stack = np.stack([alphas[i] for i in ids])  # [N, H, W]
    best = np.argmax(stack, axis=0)
    labels = np.asarray(ids, np.uint8)[best]
    labels[np.max(stack, axis=0) < 0.5] = 0
    return labels


def _source_size(source: MaskSource) -> tuple[int, int]:
    size = getattr(source, "size", None)
    if size is not None:
        return int(size[0]), int(size[1])
    return int(getattr(source, "width", 0)), int(getattr(source, "height", 0))


def prepare_job(
    source: MaskSource,
    *,
    video: str | Path | None = None,
    objects: list[int] | None = None,
    combine: str = "separate",
    dilate: float = 0,
    feather: float = 0,
    threshold: float | None = None,
    invert: bool = False,
    start: str | int | None = None,
    end: str | int | None = None,
) -> ExportJob:
    """Check the choices against ``source`` (and ``video``) and describe the export.

    ``start``/``end`` export a segment (frames or times, see :mod:`vfx.frame_range`).
    Without ``video``, a masklet store's recorded video is used when it is still where
    it was and unchanged (same content hash).
    """
    if combine not in COMBINES:
        raise VfxError(f"unknown --combine {combine!r}; use one of {', '.join(COMBINES)}")
    width, height = _source_size(source)
    side = max(width, height) or MAX_SIDE  # more than the frame's side changes nothing more
    check_range(dilate, "--dilate", 0, side, f"masks are {width}x{height}, try --dilate 4")
    check_range(feather, "--feather", 0, side, f"masks are {width}x{height}, try --feather 4")
    if threshold is not None and not 0.0 < threshold <= 1.0:  # False for nan
        raise VfxError(f"--threshold must be in (0, 1], got {threshold}; try 0.5")
    if invert and combine == "labels":
        raise VfxError("--invert does not apply to label maps; use --combine separate or union")
    selected = list(source.object_ids) if not objects else list(dict.fromkeys(objects))
    unknown = [o for o in selected if o not in source.object_ids]
    if unknown:
        have = ", ".join(map(str, source.object_ids))
        raise VfxError(f"object {unknown[0]} is not in the masks (objects: {have}); fix --objects")
    if combine == "labels" and max(selected) > MAX_LABEL_ID:
        raise VfxError(f"label maps hold ids up to {MAX_LABEL_ID}; use --combine separate")
    video_path, video_problem = _video_path(source, video)
    width, height, frame_count, fps = _geometry(source, video_path)
    segment = resolve_range(start, end, frame_count, fps or 0.0) if start or end else None
    if combine == "separate":
        layout, out = "objects", {o: source.names.get(o, f"obj{o}") for o in selected}
    elif combine == "union":
        layout = "mask"
        out = {min(selected): "+".join(source.names.get(o, f"obj{o}") for o in selected)}
    else:
        layout, out = "labels", {o: source.names.get(o, f"obj{o}") for o in selected}
    settings = {
        "objects": selected,
        "combine": combine,
        "dilate": dilate,
        "feather": feather,
        "threshold": threshold,
        "invert": invert,
    }
    return ExportJob(
        source,
        layout,
        out,
        selected,
        width,
        height,
        frame_count if segment is None else segment.count,
        fps,
        video_path,
        settings,
        first=0 if segment is None else segment.start,
        video_problem=video_problem,
    )


def _video_path(source: MaskSource, video: str | Path | None) -> tuple[Path | None, str | None]:
    """The video to read frames from, or ``None`` and why the recorded one cannot be used."""
    if video is not None:
        path = Path(video)
        if not path.exists():
            raise VfxError(f"video {path} does not exist; check --video")
        return path, None
    recorded = getattr(source, "video_path", None)
    meta = getattr(source, "meta", None)
    recorded_hash = None
    if recorded is None and isinstance(meta, dict):
        recorded = (meta.get("video") or {}).get("path")
        recorded_hash = (meta.get("video") or {}).get("hash")
    if not recorded:
        return None, None
    path = Path(recorded)
    if not path.is_file():
        return None, (
            f"the masks were tracked from {path}, which is no longer there (moved or deleted); "
            "pass --video INPUT"
        )
    if recorded_hash and video_content_hash(path) != recorded_hash:
        return None, (
            f"{path} has changed since the masks were tracked from it; "
            "pass the original with --video INPUT"
        )
    return path, None


def _geometry(source: MaskSource, video: Path | None) -> tuple[int, int, int, float | None]:
    """``(width, height, frame_count, fps)`` of the masks, checked against the video."""
    size = getattr(source, "size", None)
    if size is None and hasattr(source, "width") and hasattr(source, "height"):
        size = (source.width, source.height)
    fps = getattr(source, "fps", None)
    count = source.frame_count
    if video is None:
        if count is None:
            raise VfxError("a chroma key has no frames of its own; pass --video INPUT")
        if size is None:
            first = next(iter(source.masks_at(0).values()))
            size = (first.shape[1], first.shape[0])
        return int(size[0]), int(size[1]), int(count), fps
    with open_video(video) as reader:
        info = reader.info
    if size is not None and tuple(size) != (info.width, info.height):
        raise VfxError(
            f"the masks are {size[0]}x{size[1]} but {video} is {info.width}x{info.height}; "
            "pass the video the masks were made from"
        )
    if count is not None and count != info.frame_count:
        raise VfxError(
            f"the masks have {count} frames but {video} has {info.frame_count}; "
            "pass the video the masks were made from"
        )
    return info.width, info.height, info.frame_count, info.fps
