"""``vfx studio``: click on the video, see the mask, track, pick a look, render — in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from vfx.cli.options import mask_source_options, model_options, precision_option
from vfx.errors import VfxError


@click.command()
@click.argument("input_path", metavar="[INPUT]", required=False,
                type=click.Path(dir_okay=False, path_type=Path))  # fmt: skip
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the studio's state, renders and exports "
                   "(default: the current folder).")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to serve on; 0 takes any free port.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the studio to the network.")
@click.option("--no-browser", is_flag=True, help="Print the URL without opening a browser.")
@model_options
@precision_option
@mask_source_options
def studio(
    input_path: Path | None,
    workspace: Path | None,
    port: int,
    host: str,
    no_browser: bool,
    model: str | None,
    checkpoint: str | None,
    device: str,
    precision: str,
    masks_path: str | None,
    chroma: str | None,
) -> None:
    """Open INPUT (or pick a video from the workspace) in the interactive editor.

    Click = positive point, Shift+click = negative point, drag = box. Track, pick a
    preset, render. With --masks or --chroma the studio previews and renders looks
    without SAM 2 weights. Serves on loopback with a per-run token.
    """
    from vfx.studio.security import new_token
    from vfx.studio.server import (
        bind,
        cookie_name,
        create_app,
        serve,
        studio_url,
        warn_if_exposed,
    )
    from vfx.studio.work import Studio, StudioOptions

    if input_path is not None and not input_path.is_file():
        raise VfxError(f"input video {input_path} does not exist; check the path")
    if masks_path and chroma:
        raise VfxError("--masks and --chroma are different mask sources; give only one")
    if (masks_path or chroma) and input_path is None:
        raise VfxError("--masks/--chroma belong to one video: give INPUT too")
    root = Path.cwd() if workspace is None else workspace
    options = StudioOptions(model=model, checkpoint=checkpoint, device=device,
                            precision=precision, masks=masks_path, chroma=chroma)  # fmt: skip
    app_studio = Studio(root, input_path, options)
    if app_studio.looks_only:
        app_studio.view_source()  # bad --masks/--chroma: reported now, in one line
    sock = bind(host, port)
    port = sock.getsockname()[1]
    token = new_token()
    app = create_app(app_studio, token, cookie_name(port),
                     extra_host=None if host in ("0.0.0.0", "::") else host)  # fmt: skip
    warn_if_exposed(host)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = studio_url(shown, port, token)
    click.echo(f"vfx studio: {url}")
    if not no_browser:
        import webbrowser

        webbrowser.open(url)
    serve(app, sock)
