"""vfx effects as moviepy 2.x effects, for scripted pipelines in moviepy's own idiom.

>>> from moviepy import VideoFileClip                                   # doctest: +SKIP
>>> import vfx.moviepy
>>> clip = VideoFileClip("in.mp4").with_effects(
...     [vfx.moviepy.Preset("background-blur", masks="masks/")])
>>> clip.write_videofile("out.mp4")

:class:`Preset` applies a shipped (or file) preset, :class:`Effects` an effects graph; either
composes with other clips and effects. Masks are looked up by time, frame ``round(t * fps)``
of the clip, so a frame is the same whichever order moviepy asks for it in; temporal
smoothing sees the neighbouring frames it needs (read from the clip), as a render does.
``apply`` changes neither the effect nor the clip: it returns a new clip. Results with alpha
(cutouts) are composited over black, as for an output without alpha. Each frame re-reads its
smoothing window, so heavily smoothed presets cost more per frame than ``vfx.render``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from moviepy import Effect

from vfx.io.video_source import Frame, VideoInfo, VideoReader

if TYPE_CHECKING:
    from moviepy import Clip

    from vfx.graph import Graph
    from vfx.presets.preset import MaskSpec
    from vfx.sources.base import MaskSource


class _ClipFrames(VideoReader):
    """A moviepy frame function as a vfx reader: frame ``i`` is ``get_frame(i / fps)``."""

    def __init__(self, get_frame: Callable[[float], np.ndarray], info: VideoInfo) -> None:
        super().__init__(info)
        self._get_frame = get_frame

    def _generate(self, start: int, stop: int) -> Iterator[Frame]:
        for index in range(start, stop):
            t = index / self.info.fps
            rgb = np.ascontiguousarray(self._get_frame(t)[:, :, :3], dtype=np.uint8)
            yield Frame(index=index, time=t, rgb=rgb)


@dataclass(frozen=True)
class Effects(Effect):
    """An effects graph as a moviepy effect.

    Args:
        graph: the effects graph (:class:`vfx.graph.Graph`).
        masks: a mask source, a masklet store folder or imported masks (``--masks``).
        chroma: key colour instead of ``masks`` (``green``, ``blue``, ``#RRGGBB``).
        mask_specs: named masks the graph's regions use (default: ``subject`` = every
            object, smoothed, as :func:`vfx.render` with a graph).
        base_dir: where effects resolve relative file parameters.
    """

    graph: Graph
    masks: MaskSource | str | Path | None = None
    chroma: str | None = None
    mask_specs: Mapping[str, MaskSpec] | None = None
    base_dir: Path | None = field(default=None)

    def apply(self, clip: Clip) -> Clip:
        """A new clip: ``clip`` with the graph applied to every frame."""
        from vfx.api import DEFAULT_MASKS
        from vfx.errors import VfxError
        from vfx.masks.settings import SmoothSettings
        from vfx.rendering.pipeline import FrameRenderer, masked_frames
        from vfx.sources.choice import open_source

        fps = getattr(clip, "fps", None)
        if not fps or clip.duration is None:
            raise VfxError("the clip needs an fps and a duration; set them with clip.with_fps()")
        width, height = clip.size
        count = round(clip.duration * fps)
        info = VideoInfo(width=width, height=height, fps=float(fps), frame_count=count,
                         duration=float(clip.duration), rotation=0, codec="moviepy",
                         pix_fmt="rgb24", has_audio=False, path=None)  # fmt: skip
        source = open_source(self.masks, self.chroma, info)
        specs = DEFAULT_MASKS if self.mask_specs is None else self.mask_specs
        reach = max(
            (SmoothSettings.from_dict(dict(s.smooth)).window // 2
             for s in specs.values() if s.smooth is not None),
            default=0,
        )  # fmt: skip
        renderer = FrameRenderer(self.graph, source.names, (width, height), self.base_dir,
                                 flatten_alpha=True)  # fmt: skip

        def frame(get_frame: Callable[[float], np.ndarray], t: float) -> np.ndarray:
            index = min(round(t * fps), count - 1)
            reader = _ClipFrames(get_frame, info)
            start, stop = max(0, index - reach), min(count, index + reach + 1)
            with masked_frames(reader, source, specs, start, stop) as items:
                for item in items:
                    if item.frame.index == index:
                        return renderer(item)
            raise VfxError(f"frame {index} of the clip could not be read")

        return clip.transform(frame, apply_to=[])


@dataclass(frozen=True)
class Preset(Effect):
    """A preset (shipped name or ``.yaml`` file) as a moviepy effect.

    Args:
        preset: the preset's name (``vfx presets list``) or file.
        masks: a mask source, a masklet store folder or imported masks (``--masks``).
        chroma: key colour instead of ``masks``.
        overrides: ``LAYER.PARAM=VALUE`` settings, as ``--set`` takes them.
    """

    preset: str | Path
    masks: MaskSource | str | Path | None = None
    chroma: str | None = None
    overrides: Sequence[str] = ()

    def apply(self, clip: Clip) -> Clip:
        """A new clip: ``clip`` with the preset applied to every frame."""
        from vfx.api import resolve_preset

        chosen = resolve_preset(self.preset, tuple(self.overrides))
        effect = Effects(chosen.build_graph(), self.masks, self.chroma, chosen.masks,
                         chosen.base_dir)  # fmt: skip
        return effect.apply(clip)


__all__ = ["Effects", "Preset"]
