"""The render pipeline: decode → masks → smoothing → refinement → named masks → effects → encode.

Each step runs in its own thread (:mod:`vfx.rendering.stages`), joined by small
bounded queues, so decoding, mask work, effects and encoding overlap and memory
stays flat however long the video is. Effects run on a few worker threads
because OpenCV and numpy release the GIL.

Mask rules (DESIGN.md §5): a preset's named mask unites some objects' masks,
each smoothed over time with the mask's ``smooth`` settings, then refines the
union with its ``refine`` settings. The per-object masks that ``obj:N`` regions
and per-object effects see are smoothed with the settings of the first named
mask that covers the object (raw when none does).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.frame_range import FrameRange
from vfx.io.video_source import Frame, VideoReader
from vfx.presets.preset import MaskSpec, OutputSpec, check_mask_objects
from vfx.rendering.stages import (
    Stage,
    ThreadedStages,
    opencv_single_threaded,
    parallel_map,
    parallel_width,
)
from vfx.sources.base import MaskSource

if TYPE_CHECKING:
    from effects.core.background_plate import PlateView
    from vfx.graph import Graph

QUEUE_SIZE = 4
EFFECT_WORKERS = 2
SMOOTH_WORKERS = 2
"""Threads smoothing consecutive frames at once (each compares a frame with its window)."""
ENCODER_CORES = 2
"""Cores a render leaves to the encoder and its other steps before it smooths in parallel.
Measured on 2 cores (1080p, 150 frames): smoothing on two threads made whole renders 5-8%
slower (the encoder needed that CPU), while masks alone, with no encoder, came 15-35% faster."""


@dataclass(frozen=True)
class RenderResult:
    """What a render produced.

    Attributes:
        path: the output file or folder.
        frames: frames written.
        duration: seconds of video written.
        seconds: wall-clock seconds the render took.
    """

    path: Path
    frames: int
    duration: float
    seconds: float

    @property
    def fps(self) -> float:
        """Frames rendered per wall-clock second."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """The one line the CLI prints when a render finishes."""
        per_frame = self.seconds / self.frames if self.frames else 0.0
        return (
            f"wrote {self.path}: {self.frames} frames, {self.duration:.2f} s of video, "
            f"rendered at {self.fps:.1f} fps ({per_frame:.3f} s/frame) in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class MaskedFrame:
    """A decoded frame with its masks, ready for the effects graph.

    Attributes:
        frame: the decoded frame (``rgb`` is ``[H, W, 3]`` uint8).
        objects: per-object soft masks, ``{id: [H, W] float32 0..1}``.
        named: the preset's named masks, ``{name: [H, W] float32 0..1}``.
        background: the background plate seen from this frame, when the graph uses one.
    """

    frame: Frame
    objects: dict[int, np.ndarray]
    named: dict[str | int, np.ndarray]
    background: PlateView | None = None


def background_plate_stage(items: Iterator[MaskedFrame]) -> Iterator[MaskedFrame]:
    """Attach the running background plate (:mod:`effects.core.background_plate`) to each frame,
    from the union of its object masks; in frame order, holding a few frames of lookahead."""
    from effects.core.background_plate import BackgroundPlate

    plate: BackgroundPlate[MaskedFrame] = BackgroundPlate()
    for item in items:
        cover = _union(list(item.objects.values()), item.frame.rgb.shape[:2])
        for done, view in plate.push(item, item.frame.rgb, cover):
            yield replace(done, background=view)
    for done, view in plate.flush():
        yield replace(done, background=view)


@dataclass
class _Pending:
    """A frame on its way through the mask stages (smoothers look ahead).

    ``stacks`` and ``guide`` (the frame, ``[H, W, 3]``) feed the smoothers; ``jobs``
    collects the functions that compute their outputs (:meth:`TemporalSmoother.push_later`).
    """

    frame: Frame
    raw: dict[int, np.ndarray]
    stacks: dict[str, np.ndarray] = field(default_factory=dict)  # group -> [N, H, W]
    guide: np.ndarray | None = None
    jobs: dict[str, Callable[[], np.ndarray]] = field(default_factory=dict)  # -> [N, H, W]


def _union(masks: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Pixel-wise maximum of ``[H, W]`` float32 masks (zeros when there are none)."""
    if not masks:
        return np.zeros(shape, np.float32)
    if len(masks) == 1:
        return masks[0]
    out = np.maximum(masks[0], masks[1])
    for mask in masks[2:]:
        np.maximum(out, mask, out=out)
    return out


class MaskPlan:
    """Turns per-object masks into smoothed per-object masks and a preset's named masks.

    Objects smoothed with the same settings form one group and go through one
    streaming smoother as an ``[N, H, W]`` stack, so optical flow is computed
    once per frame per group, not once per object. Wide frames are smoothed at the
    smoother's ``work_width`` and scaled back up inside the objects' boxes.

    Args:
        specs: the named masks of a preset.
        object_ids: the mask source's objects.
    """

    def __init__(self, specs: Mapping[str, MaskSpec], object_ids: list[int]) -> None:
        from vfx.masks.settings import RefineSettings, SmoothSettings

        self.specs = dict(specs)
        self.object_ids = list(object_ids)
        self.groups: dict[str, tuple[Any, list[int]]] = {}  # settings text -> (settings, ids)
        # Where each object's mask comes from: (group, row) in the group's stack, or None (raw).
        self.object_home: dict[int, tuple[str, int] | None] = dict.fromkeys(self.object_ids)
        self.members: dict[str, list[tuple[int, tuple[str, int] | None]]] = {}
        self.refine_settings: dict[str, Any] = {}
        for name, spec in self.specs.items():
            members = []
            for obj_id in spec.covers(self.object_ids):
                home = None
                if spec.smooth is not None:
                    group = json.dumps(spec.smooth, sort_keys=True)
                    if group not in self.groups:
                        self.groups[group] = (SmoothSettings.from_dict(dict(spec.smooth)), [])
                    ids = self.groups[group][1]
                    if obj_id not in ids:
                        ids.append(obj_id)
                    home = (group, ids.index(obj_id))
                    if self.object_home[obj_id] is None:
                        self.object_home[obj_id] = home
                members.append((obj_id, home))
            self.members[name] = members
            if spec.refine is not None:
                self.refine_settings[name] = RefineSettings.from_dict(dict(spec.refine))

    @property
    def reach(self) -> int:
        """Frames on each side of a frame that its smoothed masks depend on."""
        return max((settings.window // 2 for settings, _ in self.groups.values()), default=0)

    def stages(
        self,
        source: MaskSource,
        keep: tuple[int, int] | None = None,
        workers: int = SMOOTH_WORKERS,
    ) -> list[Stage]:
        """Pipeline stages ``Iterator[Frame] -> Iterator[MaskedFrame]``, in frame order.

        One thread reads each frame's masks; one feeds the smoothers, the step
        that must see the frames in order; ``workers`` threads (at most this process's
        share of the cores) then smooth consecutive frames at once (the slow part)
        and build the named masks. Frames keyed by a :class:`~vfx.sources.chroma.ChromaKeySource`
        are despilled. With ``keep`` = ``(start, stop)`` only those frames come
        out; the others are read (the smoothers' windows need them) but not smoothed.
        """
        from vfx.masks import TemporalSmoother
        from vfx.sources.chroma import ChromaKeySource

        despill = source.despill if isinstance(source, ChromaKeySource) else None

        def read(frames: Iterator[Frame]) -> Iterator[_Pending]:
            for frame in frames:
                raw = source.masks_at(frame.index, frame.rgb)
                if despill is not None:  # a keyed subject loses its screen-coloured fringe
                    frame = replace(frame, rgb=despill(frame.rgb, raw[source.object_ids[0]]))
                item = _Pending(frame, raw)
                if self.groups:
                    item.guide = frame.rgb
                    for group, (_, ids) in self.groups.items():
                        # N x [H, W] -> [N, H, W]; one object: a view, not an 8 MB copy a frame
                        planes = [raw[i] for i in ids]
                        item.stacks[group] = planes[0][None] if len(ids) == 1 else np.stack(planes)
                yield item

        def run(items: Iterator[_Pending]) -> Iterator[_Pending]:
            smoothers = {group: TemporalSmoother(s) for group, (s, _) in self.groups.items()}
            emitted = dict.fromkeys(smoothers, 0)
            pending: deque[_Pending] = deque()
            first = 0  # push-order number of pending[0]

            def take(group: str, jobs: list[Callable[[], np.ndarray]]) -> None:
                for job in jobs:
                    pending[emitted[group] - first].jobs[group] = job
                    emitted[group] += 1

            for item in items:
                pending.append(item)
                for group, smoother in smoothers.items():
                    take(group, smoother.push_later(item.stacks.pop(group), item.guide))
                item.guide = None
                while pending and len(pending[0].jobs) == len(smoothers):
                    yield pending.popleft()
                    first += 1
            for group, smoother in smoothers.items():
                take(group, smoother.flush_later())
            yield from pending

        stages: list[Stage] = [read, run]
        if keep is not None:
            stages.append(_keep_range(*keep))
        return [*stages, parallel_map(self.finish, parallel_width(workers))]

    def finish(self, item: _Pending) -> MaskedFrame:
        """Smooth one frame (run its smoothers' jobs) and build its named masks."""
        from vfx.masks.refinement import refine

        rgb = item.frame.rgb
        shape = rgb.shape[:2]
        smoothed = {group: job() for group, job in item.jobs.items()}  # group -> [N, H, W]

        def mask_of(obj_id: int, home: tuple[str, int] | None) -> np.ndarray:
            if home is None:
                return item.raw[obj_id]
            return smoothed[home[0]][home[1]]

        objects = {obj_id: mask_of(obj_id, home) for obj_id, home in self.object_home.items()}
        named: dict[str | int, np.ndarray] = {}
        for name, members in self.members.items():
            alpha = _union([mask_of(obj_id, home) for obj_id, home in members], shape)
            settings = self.refine_settings.get(name)
            named[name] = alpha if settings is None else refine(alpha, frame=rgb, settings=settings)
        return MaskedFrame(item.frame, objects, named)


class FrameRenderer:
    """Runs the effects graph on masked frames; one per render, callable from several threads.

    Each thread gets its own effect cache, because cached sources (a background
    video reader, for one) keep a read position that threads must not share.

    Args:
        graph: the effects graph.
        names: object display names by id.
        size: ``(width, height)`` of the frames.
        base_dir: where effects resolve relative asset paths.
        flatten_alpha: composite RGBA results over black (for outputs without alpha).
    """

    def __init__(
        self,
        graph: Graph,
        names: Mapping[int, str],
        size: tuple[int, int],
        base_dir: Path | None = None,
        flatten_alpha: bool = False,
    ) -> None:
        self.graph = graph
        self.names = dict(names)
        self.size = size
        self.base_dir = base_dir
        self.flatten_alpha = flatten_alpha
        self._local = threading.local()

    def __call__(self, item: MaskedFrame) -> np.ndarray:
        """``[H, W, 3]`` or ``[H, W, 4]`` uint8 result for one masked frame."""
        from effects.core.base import EffectContext

        cache = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        ctx = EffectContext.build(
            item.objects,
            size=self.size,
            names=self.names,
            frame_index=item.frame.index,
            time=item.frame.time,
            cache=cache,
            base_dir=self.base_dir,
            background=item.background,
        )
        out = self.graph.render_frame(item.frame.rgb, item.named, ctx)
        if self.flatten_alpha and out.shape[2] == 4:
            alpha = out[:, :, 3]
            # [H, W, 3] colours scaled by [H, W, 3]-broadcast alpha: straight alpha over black
            out = cv2.multiply(out[:, :, :3], cv2.merge([alpha, alpha, alpha]), scale=1.0 / 255.0)
        return out


def masked_frames(
    reader: VideoReader,
    source: MaskSource,
    specs: Mapping[str, MaskSpec],
    start: int = 0,
    stop: int | None = None,
) -> ThreadedStages:
    """Decoded frames with their smoothed, refined masks, overlapped on threads.

    Iterate the returned pipeline for :class:`MaskedFrame` items in frame order;
    use it as a context manager so that its threads stop.
    """
    plan = MaskPlan(specs, source.object_ids)
    return ThreadedStages(reader.frames(start, stop), plan.stages(source), QUEUE_SIZE)


def render_video(
    reader: VideoReader,
    source: MaskSource,
    graph: Graph,
    specs: Mapping[str, MaskSpec],
    output: str | Path,
    *,
    encoder: OutputSpec | None = None,
    base_dir: Path | None = None,
    progress: bool = True,
    workers: int = EFFECT_WORKERS,
    frames: FrameRange | None = None,
    chunk: tuple[int, int] | None = None,
    audio: bool = True,
) -> RenderResult:
    """Render every frame of ``reader`` (or the segment ``frames`` of it) through ``graph``
    into ``output`` (atomic).

    The output format follows the extension (see :func:`vfx.io.writer.write_video`);
    the source's audio is carried over (trimmed to the frames rendered) unless ``audio`` is
    false. An RGBA graph written to a format without alpha is composited over black, with a
    warning.

    ``frames`` renders a segment as if it were the whole video (a user's ``--start``/``--end``).
    ``chunk`` = ``(start, stop)`` renders only those frames of a longer render: the smoothers
    also read :attr:`MaskPlan.reach` frames on each side, so every frame equals the one a whole
    render makes (chunked renders joined later, :mod:`vfx.batch`).
    """
    from vfx.io.writer import output_supports_alpha, write_video

    info = reader.info
    missing = sorted(graph.mask_names - set(specs))
    if missing:
        raise VfxError(
            f"the graph's regions use mask {', '.join(missing)}, which is not defined; "
            f"define it (defined: {', '.join(sorted(specs)) or 'none'}) or use obj:N / all"
        )
    check_mask_objects(specs, list(source.object_ids))
    encoder = OutputSpec() if encoder is None else encoder
    alpha = bool(graph.makes_alpha) and output_supports_alpha(output)
    if graph.makes_alpha and not alpha:
        print(
            f"vfx: warning: {Path(output).suffix or 'this output'} has no transparency; "
            "transparent pixels become black (write .mov, .webm or a PNG folder to keep them)",
            file=sys.stderr,
        )
    renderer = FrameRenderer(
        graph,
        source.names,
        (info.width, info.height),
        base_dir=base_dir,
        flatten_alpha=graph.makes_alpha and not alpha,
    )
    plan = MaskPlan(specs, source.object_ids)
    if frames is not None and chunk is not None and not frames.whole:
        raise VfxError("render either a segment (start/end) or a chunk of a batch, not both")
    if chunk is not None:
        start, stop = chunk
    else:
        start, stop = (0, info.frame_count) if frames is None else (frames.start, frames.stop)
    if not 0 <= start < stop <= info.frame_count:
        raise VfxError(f"frame range {start}..{stop} is outside the video's 0..{info.frame_count}")
    started = time.perf_counter()
    plate = [background_plate_stage] if graph.uses_background else []
    smoothers = min(SMOOTH_WORKERS, max(1, (os.cpu_count() or 1) - ENCODER_CORES))
    keep = None if chunk is None else (start, stop)
    stages = [*plan.stages(source, keep=keep, workers=smoothers), *plate]
    if chunk is not None:
        decoded = reader.frames(max(0, start - plan.reach), stop + plan.reach)
    else:
        decoded = reader.frames(start, stop)
    stages.append(parallel_map(renderer, workers))
    with opencv_single_threaded(), ThreadedStages(decoded, stages, QUEUE_SIZE) as pipeline:
        written = write_video(
            output,
            iter(pipeline),
            fps=info.fps,
            size=(info.width, info.height),
            frame_count=stop - start,
            audio_source=info.path if info.has_audio and audio else None,
            audio_start=float(reader.frame_times[start]) if start else 0.0,
            crf=encoder.crf,
            preset=encoder.preset,
            alpha=alpha,
            progress=progress,
        )
    return RenderResult(
        path=Path(written.path),
        frames=written.frames,
        duration=written.frames / info.fps,
        seconds=time.perf_counter() - started,
    )


def _keep_range(start: int, stop: int) -> Stage:
    """A stage passing on only the items whose ``start <= item.frame.index < stop``."""

    def stage(items: Iterator[Any]) -> Iterator[Any]:
        return (item for item in items if start <= item.frame.index < stop)

    return stage
