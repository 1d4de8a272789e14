"""``vfx preview``: one frame as a PNG contact sheet, to check prompts and looks first."""

from __future__ import annotations

import click

import vfx.cli.options as options


@click.command()
@options.input_argument
@click.option(
    "--frame",
    "frame",
    default=None,
    metavar="FRAME|SECONDSs",
    help="Frame index or time (2.5s) to show [default: 0, or --start].",
)
@options.output_option("The contact sheet, a .png file.")
@click.option("--preset", metavar="NAME|FILE", help="Also show this preset's result.")
@options.source_options(precision=False, masks=True)
@options.range_options
@options.overrides_option
@options.force_option()
def preview(
    input_path: str,
    frame: str | None,
    output: str,
    preset: str | None,
    source: options.SourceArgs,
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
    from vfx.rendering.preview import preview as write_preview

    notes = write_preview(
        input_path,
        frame,
        output,
        start=start,
        end=end,
        preset=preset,
        **source.api_kwargs(),
        overrides=overrides,
        force=force,
    )
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {output}")
