"""The Python API: render a video with a preset or a graph; track objects into masklets.

>>> import vfx                                                       # doctest: +SKIP
>>> vfx.render("clip.mp4", "blurred.mp4", preset="background-blur",
...            masks="masks/")                                      # imported masks
>>> vfx.render("clip.mp4", "cut.mov", preset="cutout-alpha",
...            prompts=vfx.parse_prompts(points=["0:320,240"]))      # SAM 2, cached
>>> store = vfx.track("clip.mp4", vfx.parse_prompts(points=["0:320,240"]))
>>> vfx.render("clip.mp4", "splash.mp4", preset="color-splash", masks=store)
>>> vfx.render("clip.mp4", "cut.mov", preset="cutout-alpha", auto="0:ids:2,3")

Every check that needs no model (the input, the prompts against the video's
size and length, the preset, the output path) runs before any weights load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vfx.errors import VfxError
from vfx.frame_range import FrameRange, reader_range
from vfx.io.atomic import check_output_path
from vfx.io.writer import output_target
from vfx.presets import MaskSpec, Preset, load_preset
from vfx.prompts.model import ObjectPrompts
from vfx.prompts.parsing import validate_prompts
from vfx.rendering.pipeline import RenderResult, render_video
from vfx.sources.auto_objects import AutoSpec, auto_prompts, check_auto
from vfx.sources.base import MaskSource
from vfx.sources.choice import check_one_source, mask_source
from vfx.sources.tracking import Tracker, TrackingOptions, check_prompts_in_range, copy_store

if TYPE_CHECKING:
    from vfx.graph import Graph
    from vfx.io.video_source import VideoReader
    from vfx.masks import MaskletStore

DEFAULT_MASKS = {"subject": MaskSpec("subject", smooth={})}
"""Named masks for a graph given without a preset: ``subject`` = every object, smoothed."""

VideoInput = str | Path | np.ndarray | Sequence[np.ndarray]


def resolve_preset(preset: str | Path | Preset, overrides: Sequence[str] = ()) -> Preset:
    """A :class:`Preset` from a name, a file or a Preset (overrides need a name or file)."""
    if isinstance(preset, Preset):
        if overrides:
            raise VfxError(
                "overrides apply to a preset name or file; edit the Preset object instead"
            )
        return preset
    return load_preset(preset, tuple(overrides))


def render(
    input: VideoInput,
    output: str | Path,
    *,
    preset: str | Path | Preset | None = None,
    graph: Graph | None = None,
    mask_specs: Mapping[str, MaskSpec] | None = None,
    masks: MaskSource | str | Path | None = None,
    chroma: str | None = None,
    prompts: list[ObjectPrompts] | None = None,
    auto: str | AutoSpec | None = None,
    auto_options: Mapping[str, Any] | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    precision: str = "auto",
    overrides: Sequence[str] = (),
    force: bool = False,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    tracker: Tracker | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    chunk: tuple[int, int] | None = None,
    audio: bool = True,
) -> RenderResult:
    """Render ``input`` to ``output`` through a preset (or a graph) and one mask source.

    Args:
        input: a video file, a folder of frames, or frames in memory.
        output: ``.mp4``/``.mov``/``.webm`` file or PNG-sequence folder.
        preset: a shipped preset name, a preset file, or a :class:`Preset`.
        graph: an effects graph instead of a preset; its regions may use the
            names in ``mask_specs`` (default: ``subject`` = all objects, smoothed).
        mask_specs: named masks for ``graph``.
        masks: a mask source, a masklet store folder, or imported masks
            (PNG folders, a mask video, a vfx ``.npz``).
        chroma: key colour (``green``, ``blue``, ``#RRGGBB``) instead of masks.
        prompts: SAM 2 prompts (see :func:`vfx.parse_prompts`); tracking results
            are cached and reused by later renders.
        auto: pick the objects without prompts, ``[FRAME:]MODE`` (``largest``, ``center``,
            ``all[:MIN_AREA]``, ``ids:3,5``) or an :class:`AutoSpec`: the automatic mask
            generator's candidates on FRAME become mask prompts (see
            :mod:`vfx.sources.auto_objects`).
        auto_options: keyword arguments for the automatic mask generator (its thresholds,
            ``points_per_side``, ...); the official defaults otherwise.
        model, checkpoint, device: which SAM 2 runs where.
        precision: ``auto`` (bf16 on CPUs with native bf16, else fp32), ``fp32`` (exact) or
            ``bf16``; see :func:`sam2.precision.resolve_precision`.
        overrides: ``LAYER.PARAM=VALUE`` preset overrides.
        force: overwrite an existing output.
        progress: show progress bars.
        cache_dir: masklet cache root (default ``~/.cache/vfx/masklets``).
        tracker: a tracker to use instead of SAM 2.
        start, end: render only this segment: frame numbers (``48``) or times
            (``2.5s``, ``1:02``); ``end`` is exclusive. Audio is trimmed to match and
            only the segment is tracked.
        chunk: ``(start, stop)``: render only these frames, each exactly as a whole
            render makes it (for chunked renders joined later, see :mod:`vfx.batch`).
        audio: carry the source's audio over.

    Returns:
        :class:`RenderResult` (path, frames, duration, wall time, fps).

    Raises:
        VfxError: any input mistake, in one line naming the fix.
    """
    from vfx.io.reader import open_video

    if (preset is None) == (graph is None):
        raise VfxError("give exactly one of preset= or graph=")
    spec = check_auto(auto, masks, chroma, prompts)
    if spec is None:
        check_one_source(masks, chroma, prompts)
    tracking = TrackingOptions(model=model, checkpoint=checkpoint, device=device,
                               precision=precision, progress=progress, cache_dir=cache_dir,
                               tracker=tracker)  # fmt: skip
    with open_video(input) as reader:
        info = reader.info
        chosen = None if preset is None else resolve_preset(preset, overrides)
        frames = _checked_range(reader, start, end, prompts)
        inputs: tuple = (info.path, masks if isinstance(masks, (str, Path)) else None)
        if isinstance(masks, MaskSource):
            inputs += (getattr(masks, "path", None),)
        target, _, folder = output_target(output)
        check_output_path(target, force=force, inputs=inputs, folder=folder)
        if spec is not None:
            prompts = _auto_prompts(reader, spec, auto_options, tracking)
        source = mask_source(info, masks=masks, chroma=chroma, prompts=prompts, tracking=tracking,
                             frames=frames)
        if chosen is None:
            specs = DEFAULT_MASKS if mask_specs is None else mask_specs
            assert graph is not None  # exactly one of preset and graph, checked above
            return render_video(reader, source, graph, specs, output, progress=progress,
                                frames=frames, chunk=chunk, audio=audio)
        return render_video(
            reader,
            source,
            chosen.build_graph(),
            chosen.masks,
            output,
            encoder=chosen.output,
            base_dir=chosen.base_dir,
            progress=progress,
            frames=frames,
            chunk=chunk,
            audio=audio,
        )


def track(
    input: str | Path,
    prompts: list[ObjectPrompts] | None = None,
    output: str | Path | None = None,
    *,
    auto: str | AutoSpec | None = None,
    auto_options: Mapping[str, Any] | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    precision: str = "auto",
    force: bool = False,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    tracker: Tracker | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
) -> MaskletStore:
    """Track the prompted objects through ``input`` into a masklet store.

    The store lands in the masklet cache, where later renders of the same video
    and prompts find it; ``output`` gets a copy. ``auto`` / ``auto_options`` pick the
    objects instead of ``prompts``, as in :func:`render`. ``start``/``end`` track only that
    segment (as in :func:`render`); the store's frames outside it are empty.

    Returns:
        The opened store (a :class:`~vfx.sources.base.MaskSource`).
    """
    from vfx.io.reader import open_video
    from vfx.masks import MaskletStore

    spec = check_auto(auto, prompts)
    if not prompts and spec is None:
        raise VfxError(
            "tracking needs prompts: give --point FRAME:X,Y, --box, --prompts FILE or --auto"
        )
    tracking = TrackingOptions(model=model, checkpoint=checkpoint, device=device,
                               precision=precision, progress=progress, cache_dir=cache_dir,
                               tracker=tracker)  # fmt: skip
    with open_video(input) as reader:
        info = reader.info
        frames = _checked_range(reader, start, end, prompts)
        if output is not None:
            check_output_path(output, force=force, inputs=(info.path,), folder=True)
        if spec is not None:
            prompts = _auto_prompts(reader, spec, auto_options, tracking)
    store = tracking.masklets(info, prompts or [], frames)
    if output is None:
        return store
    copy_store(store.path, Path(output))
    return MaskletStore.open(output)


def _checked_range(
    reader: VideoReader, start: str | int | None, end: str | int | None,
    prompts: list[ObjectPrompts] | None,
) -> FrameRange:
    """The frames ``start``/``end`` select on ``reader``, with ``prompts`` checked against the
    video's size and length and that segment (no model needed)."""
    info = reader.info
    frames = reader_range(reader, start, end)
    if prompts:
        validate_prompts(prompts, info.width, info.height, info.frame_count)
        check_prompts_in_range(prompts, frames)
    return frames


def _auto_prompts(
    reader: VideoReader, spec: AutoSpec, auto_options: Mapping[str, Any] | None,
    tracking: TrackingOptions,
) -> list[ObjectPrompts]:
    """The prompts ``--auto`` picks, with the model ``tracking`` will track them with."""
    return auto_prompts(reader, spec, model=tracking.model, checkpoint=tracking.checkpoint,
                        device=tracking.device, generator_options=auto_options,
                        cache_dir=tracking.cache_dir)  # fmt: skip
