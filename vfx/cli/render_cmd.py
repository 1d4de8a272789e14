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
@options.prompt_options
@options.mask_source_options
@options.model_options
@options.precision_option
@options.overrides_option
@options.force_option()
@options.quiet_option
def render(
    input_path: str,
    output: str,
    preset: str,
    points: tuple[str, ...],
    boxes: tuple[str, ...],
    prompts_file: str | None,
    masks_path: str | None,
    chroma: str | None,
    model: str | None,
    checkpoint: str | None,
    device: str,
    precision: str,
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
    """
    from vfx.api import render as render_video
    from vfx.prompts.parsing import parse_prompts

    prompts = parse_prompts(points, boxes, prompts_file)
    result = render_video(
        input_path,
        output,
        preset=preset,
        overrides=overrides,
        prompts=prompts or None,
        masks=masks_path,
        chroma=chroma,
        model=model,
        checkpoint=checkpoint,
        device=device,
        precision=precision,
        force=force,
        progress=not quiet,
    )
    click.echo(result.summary())
