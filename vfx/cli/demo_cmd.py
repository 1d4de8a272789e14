"""``vfx demo``: render a few presets on a generated clip, offline and without weights."""

from __future__ import annotations

from pathlib import Path

import click

import vfx.cli.options as options


@click.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    default="vfx-demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the sample clips, their masks and the renders.",
)
@options.force_option("Replace the folder if it exists.")
@click.option(
    "--sam2/--no-sam2",
    "use_sam2",
    default=None,
    help="Also track the objects with SAM 2 from one click each "
    "(default: when a checkpoint is found; minutes on a CPU).",
)
@options.quiet_option
def demo(out_dir: Path, force: bool, use_sam2: bool | None, quiet: bool) -> None:
    """Generate a short clip with moving objects and a sound track, then render presets on it.

    Works offline with no model weights: masks come from the generated scene
    (as PNG folders, the way masks made elsewhere are imported) and from a
    chroma key of a green-screen version of the clip.
    """
    from vfx.demo.run import run_demo

    run_demo(out_dir, force=force, use_sam2=use_sam2, progress=not quiet, echo=click.echo)
