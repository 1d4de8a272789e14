"""``vfx render``: apply a preset to a video through tracked, imported or keyed masks."""

from __future__ import annotations

import click

import vfx.cli.options as options


@click.command()
@options.input_argument
@options.output_option(
    "Output file (.mp4, .mov, .webm) or PNG-sequence folder; format follows the extension."
)
@click.option(
    "--preset",
    required=True,
    metavar="NAME|FILE",
    help="A shipped preset (see `vfx presets list`) or a preset .yaml file.",
)
@options.source_options(precision=True, masks=True)
@options.range_options
@options.overrides_option
@options.force_option()
@options.quiet_option
def render(
    input_path: str,
    output: str,
    preset: str,
    source: options.SourceArgs,
    start: str | None,
    end: str | None,
    overrides: tuple[str, ...],
    force: bool,
    quiet: bool,
) -> None:
    """Render INPUT with a preset to OUTPUT.

    Masks come from SAM 2 tracking of the prompts (--point/--box/--prompts),
    from --masks PATH, or from --chroma COLOR. Tracking results are cached, so
    rendering the same video and prompts again with another preset skips it.

    \b
    Examples:
      vfx render clip.mp4 -o blurred.mp4 --preset background-blur --point 0:320,240
      vfx render clip.mp4 -o cut.mov --preset cutout-alpha --masks masks/
      vfx render clip.mp4 -o out.mp4 --preset background-blur --chroma green --set 0.radius=41
      vfx render clip.mp4 -o try.mp4 --preset background-blur --point 48:320,240 --start 2s --end 4s
    """
    from vfx.api import render as render_video

    result = render_video(
        input_path,
        output,
        preset=preset,
        overrides=overrides,
        **source.api_kwargs(),
        force=force,
        progress=not quiet,
        start=start,
        end=end,
    )
    click.echo(result.summary())
