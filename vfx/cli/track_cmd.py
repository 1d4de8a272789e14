"""``vfx track``: track prompted objects with SAM 2 into a masklet store."""

from __future__ import annotations

import click

import vfx.cli.options as options


@click.command()
@options.input_argument
@options.output_option(
    "Folder for the masklet store (use it with `vfx render --masks` or `vfx masks export`)."
)
@options.prompt_options
@options.model_options
@options.precision_option
@options.force_option("Replace OUTPUT if it exists.")
@options.quiet_option
def track(
    input_path: str,
    output: str,
    points: tuple[str, ...],
    boxes: tuple[str, ...],
    prompts_file: str | None,
    model: str | None,
    checkpoint: str | None,
    device: str,
    precision: str,
    force: bool,
    quiet: bool,
) -> None:
    """Track the objects clicked in INPUT through the whole video into OUTPUT.

    The masklets are also cached, so `vfx render` with the same video and
    prompts reuses them instead of tracking again.

    \b
    Example:
      vfx track clip.mp4 -o clip.masklets --point 0:320,240 --point 0:500,200:2
    """
    from vfx.api import track as track_video
    from vfx.prompts.parsing import parse_prompts

    prompts = parse_prompts(points, boxes, prompts_file)
    store = track_video(
        input_path,
        prompts,
        output,
        model=model,
        checkpoint=checkpoint,
        device=device,
        precision=precision,
        force=force,
        progress=not quiet,
    )
    objects = ", ".join(f"{i} ({store.names[i]})" for i in store.object_ids)
    click.echo(f"wrote {output}: {store.frame_count} frames, objects {objects}")
