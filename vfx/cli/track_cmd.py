"""``vfx track``: track prompted objects with SAM 2 into a masklet store."""

from __future__ import annotations

import click

import vfx.cli.options as options


@click.command()
@options.input_argument
@options.output_option(
    "Folder for the masklet store (use it with `vfx render --masks` or `vfx masks export`)."
)
@options.source_options(precision=True, masks=False)
@options.range_options
@options.force_option("Replace OUTPUT if it exists.")
@options.quiet_option
def track(
    input_path: str,
    output: str,
    source: options.SourceArgs,
    start: str | None,
    end: str | None,
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
    from vfx.masks.cache_inventory import store_summary

    store = track_video(
        input_path,
        output=output,
        **source.api_kwargs(),
        force=force,
        progress=not quiet,
        start=start,
        end=end,
    )
    click.echo(store_summary(output, store))
