"""``vfx preview``: one frame as a PNG contact sheet, to check prompts and looks first."""

from __future__ import annotations

import click

import vfx.cli.options as options


@click.command()
@options.input_argument
@click.option("--frame", "frame", type=int, default=0, show_default=True, help="Frame index.")
@options.output_option("The contact sheet, a .png file.")
@click.option("--preset", metavar="NAME|FILE", help="Also show this preset's result.")
@options.prompt_options
@options.mask_source_options
@options.model_options
@options.overrides_option
@options.force_option()
def preview(
    input_path: str,
    frame: int,
    output: str,
    preset: str | None,
    points: tuple[str, ...],
    boxes: tuple[str, ...],
    prompts_file: str | None,
    masks_path: str | None,
    chroma: str | None,
    model: str | None,
    checkpoint: str | None,
    device: str,
    overrides: tuple[str, ...],
    force: bool,
) -> None:
    """Draw frame N of INPUT with a pixel grid and the prompts, each object's mask, and the result.

    With no prompts or masks it shows the gridded frame, to read click
    coordinates from.

    \b
    Example:
      vfx preview clip.mp4 --frame 0 -o check.png --point 0:320,240 --preset color-splash
    """
    from vfx.prompts.parsing import parse_prompts
    from vfx.rendering.preview import preview as write_preview

    prompts = parse_prompts(points, boxes, prompts_file)
    notes = write_preview(
        input_path,
        frame,
        output,
        preset=preset,
        masks=masks_path,
        chroma=chroma,
        prompts=prompts or None,
        model=model,
        checkpoint=checkpoint,
        device=device,
        overrides=overrides,
        force=force,
    )
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {output}")
