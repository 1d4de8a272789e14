"""``vfx preview``: one frame as a PNG contact sheet, to check prompts and looks first."""

from __future__ import annotations

import click

from vfx.cli.auto_option import auto_option
from vfx.cli.options import (
    force_option,
    input_argument,
    mask_source_options,
    model_options,
    output_option,
    overrides_option,
    prompt_options,
    range_options,
)


@click.command()
@input_argument
@click.option(
    "--frame",
    "frame",
    default=None,
    metavar="FRAME|SECONDSs",
    help="Frame index or time (2.5s) to show [default: 0, or --start].",
)
@output_option("The contact sheet, a .png file.")
@click.option("--preset", metavar="NAME|FILE", help="Also show this preset's result.")
@prompt_options
@auto_option
@mask_source_options
@model_options
@range_options
@overrides_option
@force_option()
def preview(
    input_path: str,
    frame: str | None,
    output: str,
    preset: str | None,
    points: tuple[str, ...],
    boxes: tuple[str, ...],
    prompts_file: str | None,
    auto: str | None,
    leaves: tuple[str, ...],
    masks_path: str | None,
    chroma: str | None,
    model: str | None,
    checkpoint: str | None,
    device: str,
    start: str | None,
    end: str | None,
    overrides: tuple[str, ...],
    force: bool,
) -> None:
    """Draw frame N of INPUT with a pixel grid and the prompts, each object's mask, and the result.

    With no prompts or masks it shows the gridded frame, to read click
    coordinates from. --start/--end name the segment you mean to render: the sheet
    shows its first frame (or --frame, which must lie inside it).

    \b
    Example:
      vfx preview clip.mp4 --frame 0 -o check.png --point 0:320,240 --preset color-splash
    """
    from vfx.prompts.parsing import parse_prompts
    from vfx.rendering.preview import preview as write_preview

    prompts = parse_prompts(points, boxes, prompts_file, leaves)
    notes = write_preview(
        input_path,
        frame,
        output,
        start=start,
        end=end,
        preset=preset,
        masks=masks_path,
        chroma=chroma,
        prompts=prompts or None,
        auto=auto,
        model=model,
        checkpoint=checkpoint,
        device=device,
        overrides=overrides,
        force=force,
    )
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {output}")
