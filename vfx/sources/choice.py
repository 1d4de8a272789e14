"""Choosing the mask source of a render: SAM 2 prompts, imported masks, or a chroma key."""

from __future__ import annotations

from pathlib import Path

from vfx.errors import VfxError
from vfx.frame_range import FrameRange
from vfx.io.video_source import VideoInfo
from vfx.prompts.model import ObjectPrompts
from vfx.sources.base import MaskSource
from vfx.sources.tracking import TrackingOptions


def check_one_source(
    masks: MaskSource | str | Path | None,
    chroma: str | None,
    prompts: list[ObjectPrompts] | None,
) -> None:
    """Raise :class:`VfxError` unless exactly one mask source is given (cheap, runs first)."""
    given = [
        name
        for name, value in (("--masks", masks), ("--chroma", chroma), ("prompts", prompts))
        if value
    ]
    if len(given) > 1:
        raise VfxError(
            f"{' and '.join(given)} are different mask sources; give only one of "
            "prompts (--point/--box/--prompts), --masks PATH or --chroma COLOR"
        )
    if not given:
        raise VfxError(
            "no masks to render with: click the subject with --point FRAME:X,Y (SAM 2), "
            "or give --masks PATH or --chroma green"
        )


def mask_source(
    info: VideoInfo,
    *,
    masks: MaskSource | str | Path | None = None,
    chroma: str | None = None,
    prompts: list[ObjectPrompts] | None = None,
    tracking: TrackingOptions | None = None,
    frames: FrameRange | None = None,
) -> MaskSource:
    """The one mask source given, opened and checked against the video ``info``.

    Prompts are tracked with ``tracking`` (through the masklet cache), over the segment
    ``frames`` only when it is given.
    """
    check_one_source(masks, chroma, prompts)
    if prompts:
        return (tracking or TrackingOptions()).masklets(info, prompts, frames)
    return open_source(masks, chroma, info)


def open_source(
    masks: MaskSource | str | Path | None = None,
    chroma: str | None = None,
    info: VideoInfo | None = None,
) -> MaskSource:
    """The mask source ``masks`` (a source; a masklet store folder or imported masks, see
    :func:`~vfx.sources.imported.load_masks`) or a ``chroma`` key, checked against the video
    ``info`` when given. The one place a source is opened: render, preview and export use it."""
    check_one_source(masks, chroma, None)
    if chroma:
        from vfx.sources.chroma import ChromaKeySource

        return ChromaKeySource(chroma)
    if isinstance(masks, (str, Path)):
        from vfx.sources.imported import load_masks

        if info is None:
            return load_masks(masks)
        return load_masks(masks, size=(info.width, info.height), frame_count=info.frame_count)
    assert masks is not None  # check_one_source
    if info is not None and masks.frame_count not in (None, info.frame_count):
        raise VfxError(
            f"the mask source has {masks.frame_count} frames but the video has "
            f"{info.frame_count}; give masks with one frame per video frame"
        )
    return masks
