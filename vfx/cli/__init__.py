"""The ``vfx`` command line: a thin layer over the Python API.

Each command group lives in its own module and is registered on :data:`cli`.
:func:`main` is the console-script entry point: it turns :class:`VfxError`
into one line on stderr and a non-zero exit, unless ``--debug`` is given
anywhere on the command line.
"""

from __future__ import annotations

import sys

import click

from vfx import __version__
from vfx.errors import VfxError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vfx")
def cli() -> None:
    """Track objects in video with SAM 2 and composite effects onto them.

    Add --debug anywhere to see full tracebacks.
    """


def _register_commands() -> None:
    from vfx.cli import info_cmd

    cli.add_command(info_cmd.info)

    from vfx.cli import checkpoints_cmd

    cli.add_command(checkpoints_cmd.checkpoints)

    from vfx.cli import masks_cmd

    cli.add_command(masks_cmd.masks)

    from vfx.cli import (
        batch_cmd,
        demo_cmd,
        presets_cmd,
        preview_cmd,
        render_cmd,
        segment_cmd,
        track_cmd,
    )

    cli.add_command(render_cmd.render)
    cli.add_command(track_cmd.track)
    cli.add_command(preview_cmd.preview)
    cli.add_command(presets_cmd.presets)
    cli.add_command(demo_cmd.demo)
    cli.add_command(batch_cmd.batch)
    cli.add_command(segment_cmd.segment)

    from vfx.cli import studio_cmd

    cli.add_command(studio_cmd.studio)

    from vfx.cli import cache_cmd

    cli.add_command(cache_cmd.cache)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; ``--debug`` anywhere in ``argv`` keeps tracebacks."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        cli.main(args=args, prog_name="vfx", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("vfx: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except VfxError as exc:
        if debug:
            raise
        click.echo(f"vfx: error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        if debug:
            raise
        click.echo("vfx: interrupted", err=True)
        sys.exit(130)
