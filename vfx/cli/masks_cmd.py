"""``vfx masks export``: hand masks to generative video models, inpainting tools and editors."""

from __future__ import annotations

from typing import Any

import click

from vfx.cli.options import (
    force_option,
    mask_source_options,
    range_options,
)
from vfx.errors import VfxError
from vfx.mask_formats.choices import COMBINES, FORMATS, FRAME_MODES, SIDE_MODES


@click.group()
def masks() -> None:
    """Work with masks: export them for other tools."""


def _parse_objects(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise VfxError(f"--objects takes object ids like 1,2, got {text!r}") from None


def _one_source(store: str | None, masks_path: str | None, chroma: str | None) -> None:
    given = [s for s in (store, masks_path, chroma) if s is not None]
    if len(given) != 1:
        raise VfxError(
            "give exactly one of MASKLETS_DIR, --masks PATH or --chroma COLOR"
            + ("" if not given else f" (got {len(given)})")
        )


@masks.command("export")
@click.argument("store", metavar="[MASKLETS_DIR]", required=False, type=click.Path(path_type=str))
@mask_source_options
@click.option("-o", "--output", "out", required=True, metavar="OUT", help="Output file or folder.")
@click.option(
    "--format", "fmt", required=True, metavar="FORMAT", help=f"One of {', '.join(FORMATS)}."
)
@click.option("--video", metavar="INPUT", help="Source video (frames for vace/comfy; checks size).")
@click.option("--objects", metavar="1,2", help="Object ids to export (default: all).")
@click.option(
    "--combine",
    type=click.Choice(COMBINES),
    help="One mask per object, their union, or label maps (default: union for vace/comfy).",
)
@click.option("--dilate", type=float, default=0, metavar="PX", help="Grow masks by PX pixels.")
@click.option("--feather", type=float, default=0, metavar="PX", help="Soften edges by PX pixels.")
@click.option("--threshold", type=float, metavar="T", help="Binarise probabilities at T first.")
@click.option("--invert", is_flag=True, help="Export everything except the objects.")
@click.option("--fps", type=float, help="vace/comfy: resample to this frame rate (Wan: 16).")
@click.option("--frames", type=click.Choice(FRAME_MODES), help="vace/comfy: reach 4n+1 frames.")
@click.option("--sides", type=click.Choice(SIDE_MODES), help="vace/comfy: reach sides /16.")
@range_options
@force_option("Overwrite OUT if it exists.")
def export(
    store: str | None,
    masks_path: str | None,
    out: str,
    fmt: str,
    objects: str | None,
    **settings: Any,
) -> None:
    """Export the masks of MASKLETS_DIR (from `vfx track`), --masks PATH or --chroma COLOR.

    \b
    png       lossless 8-bit PNGs per object (white = object), or label maps
    ffv1      lossless grayscale mask video (.mkv) at the exact fps and frame count
    npz       probabilities + metadata, re-importable with --masks
    coco-rle  per-frame per-object COCO RLE JSON (YouTube-VIS layout)
    vace      Wan VACE inputs: mask video (white = generate) + source with gray 127
    comfy     ComfyUI mask sequence (white = region to change) + frames
    """
    from vfx.mask_formats.export import export_masks
    from vfx.masks import MaskletStore

    _one_source(store, masks_path, settings["chroma"])
    source = MaskletStore.open(store) if store is not None else masks_path
    # every other option is export_masks' keyword of the same name
    result = export_masks(source, out, fmt, objects=_parse_objects(objects), **settings)
    names = ", ".join(f"{i} {n}" for i, n in result.objects.items())
    click.echo(f"wrote {result.frame_count} frames of {names} as {result.format} to {result.path}")
