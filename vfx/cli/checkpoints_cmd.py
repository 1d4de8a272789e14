"""``vfx checkpoints list | download NAME... | verify PATH``: get and check the SAM 2 weights."""

from __future__ import annotations

from pathlib import Path

import click

import vfx.cli.options as options


@click.group()
def checkpoints() -> None:
    """List, download and verify the official SAM 2 / SAM 2.1 checkpoints.

    vfx looks for checkpoint files in ./checkpoints/, then in each folder of $VFX_CHECKPOINTS,
    then in the user cache (~/.cache/vfx/checkpoints, or $XDG_CACHE_HOME/vfx/checkpoints).
    """


def _megabytes(size: int | None) -> str:
    return "?" if size is None else f"{size / 1e6:.1f} MB"


@checkpoints.command(name="list")
def list_command() -> None:
    """Show each official model: name, file, size, and where it is (or that it is missing)."""
    from vfx.checkpoints import list_checkpoints

    click.echo(f"{'NAME':<18}{'FILE':<28}{'SIZE':>10}  WHERE")
    for status in list_checkpoints():
        model, where = status.model, "missing" if status.path is None else str(status.path)
        size = _megabytes(status.size)
        click.echo(f"{model.short_name:<18}{model.file_name:<28}{size:>10}  {where}")


@checkpoints.command()
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to save into (default: the first $VFX_CHECKPOINTS folder, else the user cache).",
)
@click.option(
    "--url-base",
    metavar="URL",
    help="A mirror holding the files under their official names "
    "(default: $VFX_CHECKPOINT_URL_BASE, else Meta's download site).",
)
@options.quiet_option
def download(
    names: tuple[str, ...], directory: Path | None, url_base: str | None, quiet: bool
) -> None:
    """Download checkpoints by name (e.g. sam2.1-tiny), checking their size and contents.

    A broken connection keeps a .part file that the same command resumes; any other failure
    leaves no file behind and says why.
    """
    from vfx.checkpoints import download_checkpoint
    from vfx.checkpoints.download import download_target

    for name in names:
        target = download_target(name, directory)
        if target.is_file():
            click.echo(f"already present: {target} (check it with `vfx checkpoints verify`)")
            continue
        path = download_checkpoint(name, directory, url_base=url_base, progress=not quiet)
        click.echo(f"saved {path} (verified)")


@checkpoints.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def verify(path: Path) -> None:
    """Tell which of the eight official models the checkpoint at PATH holds.

    Exits with an error that says what is wrong when the file is not a usable checkpoint, or
    when its official file name promises a different model.
    """
    from vfx.checkpoints import verify_checkpoint

    model = verify_checkpoint(path)
    click.echo(
        f"{path}: {model.name} (SAM {model.version} {model.size}, config {model.config_file})"
    )
