"""The Python API: render a video with a preset or a graph, track objects into masklets.

>>> import vfx                                                       # doctest: +SKIP
>>> vfx.render("clip.mp4", "blurred.mp4", preset="background-blur",
...            masks="masks/")                                      # imported masks
>>> vfx.render("clip.mp4", "cut.mov", preset="cutout-alpha",
...            prompts=vfx.parse_prompts(points=["0:320,240"]))      # SAM 2, cached
>>> store = vfx.track("clip.mp4", vfx.parse_prompts(points=["0:320,240"]))
>>> vfx.render("clip.mp4", "splash.mp4", preset="color-splash", masks=store)

Every check that needs no model (the input, the prompts against the video's
size and length, the preset, the output path) runs before any weights load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vfx.errors import VfxError
from vfx.io.atomic import check_output_path
from vfx.io.video_source import VideoInfo
from vfx.presets import MaskSpec, Preset, load_preset
from vfx.prompts import validate_prompts
from vfx.prompts_model import ObjectPrompts
from vfx.render import RenderResult, render_video
from vfx.sources.base import MaskSource
from vfx.tracking import Tracker, choose_model, copy_store, track_cached

if TYPE_CHECKING:
    from vfx.graph import Graph
    from vfx.masks import MaskletStore

DEFAULT_MASKS = {"subject": MaskSpec("subject", smooth={})}
"""Named masks for a graph given without a preset: ``subject`` = every object, smoothed."""

VideoInput = str | Path | np.ndarray | Sequence[np.ndarray]


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
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    overrides: Sequence[str] = (),
    force: bool = False,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    tracker: Tracker | None = None,
) -> RenderResult:
    """Render ``input`` to ``output`` through a preset (or a graph) and a mask source.

    Args:
        input: a video file, a folder of frames, or frames in memory.
        output: ``.mp4``/``.mov``/``.webm`` file or PNG-sequence folder.
        preset: a shipped preset name, a preset file, or a :class:`Preset`.
        graph: an effects graph, instead of a preset; its regions may use the
            names in ``mask_specs`` (default: ``subject`` = all objects).
        mask_specs: named masks for ``graph``.
        masks: a mask source, a masklet store folder, or imported masks
            (PNG folders, mask video, vfx ``.npz``).
        chroma: key colour (``green``, ``blue``, ``#RRGGBB``) instead of masks.
        prompts: SAM 2 prompts (see :func:`vfx.parse_prompts`); tracking results
            are cached and reused.
        model, checkpoint, device: which SAM 2 runs where.
        overrides: ``LAYER.PARAM=VALUE`` preset overrides.
        force: overwrite an existing output.
        progress: show progress bars.
        cache_dir: masklet cache root (default ``~/.cache/vfx/masklets``).
        tracker: a custom tracker instead of SAM 2 (for tracking with prompts).

    Returns:
        :class:`RenderResult` (path, frames, duration, wall time, fps).

    Raises:
        VfxError: any input mistake, with a one-line message naming the fix.
    """
    from vfx.io.reader import open_video

    if (preset is None) == (graph is None):
        raise VfxError("give exactly one of preset= or graph=")
    _check_one_source(masks, chroma, prompts)
    with open_video(input) as reader:
        info = reader.info
        if isinstance(preset, Preset):
            if overrides:
                raise VfxError("overrides apply to a preset name or file; edit the Preset instead")
            chosen = preset
        elif preset is not None:
            chosen = load_preset(preset, overrides)
        if prompts:
            validate_prompts(prompts, info.width, info.height, info.frame_count)
        inputs = (info.path, masks if isinstance(masks, (str, Path)) else None)
        check_output_path(output, force=force, inputs=inputs)
        source = _mask_source(
            info, masks, chroma, prompts, model, checkpoint, device, progress, cache_dir, tracker
        )
        if preset is not None:
            return render_video(
                reader,
                source,
                chosen.build_graph(),
                chosen.masks,
                output,
                encoder=chosen.output,
                base_dir=chosen.base_dir,
                progress=progress,
            )
        return render_video(
            reader,
            source,
            graph,
            DEFAULT_MASKS if mask_specs is None else mask_specs,
            output,
            progress=progress,
        )


def track(
    input: str | Path,
    prompts: list[ObjectPrompts],
    output: str | Path | None = None,
    *,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    force: bool = False,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    tracker: Tracker | None = None,
) -> MaskletStore:
    """Track the prompted objects through ``input`` into a masklet store.

    The store lands in the masklet cache (and is reused there by later renders
    of the same video and prompts); ``output`` also gets a copy.

    Returns:
        The opened store (a :class:`~vfx.sources.base.MaskSource`).
    """
    from vfx.io.reader import open_video
    from vfx.masks import MaskletStore

    if not prompts:
        raise VfxError("tracking needs prompts: give --point FRAME:X,Y, --box or --prompts FILE")
    with open_video(input) as reader:
        info = reader.info
    if info.path is None:
        raise VfxError(
            "tracking into the cache needs a video file or frame folder, not frames in memory"
        )
    validate_prompts(prompts, info.width, info.height, info.frame_count)
    if output is not None:
        check_output_path(output, force=force, inputs=(info.path,))
    store = _tracked(info, prompts, model, checkpoint, device, progress, cache_dir, tracker)
    if output is None:
        return store
    copy_store(store.path, Path(output))
    return MaskletStore.open(output)


def _tracked(
    info: VideoInfo,
    prompts: list[ObjectPrompts],
    model: str | None,
    checkpoint: str | Path | None,
    device: str,
    progress: bool,
    cache_dir: str | Path | None,
    tracker: Tracker | None,
) -> MaskletStore:
    if tracker is None:
        from vfx.sources.sam2_source import sam2_tracker

        tracker = sam2_tracker(choose_model(model, checkpoint), device=device, progress=progress)
    return track_cached(
        Path(info.path), info, prompts, tracker, None if cache_dir is None else Path(cache_dir)
    )

