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
    if chroma:
        from vfx.sources.chroma import ChromaKeySource

        return ChromaKeySource(chroma)
    if prompts:
        return (tracking or TrackingOptions()).masklets(info, prompts, frames)
    if isinstance(masks, (str, Path)):
        return open_masks(masks, info)
    if masks.frame_count not in (None, info.frame_count):
        raise VfxError(
            f"the mask source has {masks.frame_count} frames but the video has "
            f"{info.frame_count}; give masks with one frame per video frame"
        )
    return masks


def open_masks(path: str | Path, info: VideoInfo) -> MaskSource:
    """A masklet store folder (from ``vfx track``) or imported masks, checked against the video."""
    from vfx.masks import MaskletStore
    from vfx.masks.masklet_store import META_FILE
    from vfx.sources.imported import load_masks

    if (Path(path) / META_FILE).is_file():
        store = MaskletStore.open(path)
        if (store.width, store.height, store.frame_count) != (
            info.width,
            info.height,
            info.frame_count,
        ):
            raise VfxError(
                f"masklets {path} are for a {store.width}x{store.height}, "
                f"{store.frame_count}-frame video, not this {info.width}x{info.height}, "
                f"{info.frame_count}-frame one; "
                "track this video with `vfx track`"
            )
        return store
    return load_masks(path, size=(info.width, info.height), frame_count=info.frame_count)
