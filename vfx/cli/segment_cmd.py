"""``vfx segment``: automatic masks on one frame, as a numbered contact sheet (and JSON)."""

from __future__ import annotations

from typing import Any

import click

from vfx.cli.options import (
    file_option,
    force_option,
    generator_options,
    input_argument,
    model_options,
    output_option,
)


@click.command()
@input_argument
@click.option("--frame", type=int, default=0, show_default=True, help="Frame index.")
@output_option("The contact sheet, a .png file.")
@file_option(
    "--json",
    "json_path",
    help="Also write the candidates (id, bbox, area, score, COCO RLE) to this .json file.",
)
@model_options
@generator_options
@force_option("Overwrite outputs that exist.")
def segment(input_path: str, frame: int, output: str, **settings: Any) -> None:
    """Segment frame N of INPUT into candidate objects, numbered largest first.

    Use the numbers to pick objects without clicking: `--auto N:ids:3,5`.

    \b
    Example:
      vfx segment clip.mp4 --frame 0 -o candidates.png --json candidates.json
      vfx render clip.mp4 -o out.mp4 --preset background-blur --auto 0:ids:2
    """
    from vfx.rendering.segment_sheet import segment as segment_frame

    candidates = segment_frame(input_path, frame, output, **settings)
    click.echo(f"wrote {output}: {len(candidates)} candidates on frame {frame}")
    if settings["json_path"] is not None:
        click.echo(f"wrote {settings['json_path']}")
