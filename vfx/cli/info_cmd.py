"""``vfx info``: print what vfx sees in a video (displayed size, fps, frames, audio)."""

from __future__ import annotations

import dataclasses
import json

import click


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as one JSON object.")
def info(input_path: str, as_json: bool) -> None:
    """Print the metadata of INPUT, a video file or a folder of numbered JPEG/PNG frames.

    Sizes are as displayed (rotation metadata applied), the frame count is the
    number of frames vfx will decode, and fps is the average rate.
    """
    from vfx.io.reader import open_video

    with open_video(input_path) as reader:
        meta = reader.info
    if as_json:
        fields = dataclasses.asdict(meta)
        fields["path"] = str(meta.path)
        click.echo(json.dumps(fields))
        return
    rows = [
        ("path", str(meta.path)),
        ("size", f"{meta.width}x{meta.height}"),
        ("rotation", f"{meta.rotation} degrees"),
        ("fps", f"{meta.fps:.3f}".rstrip("0").rstrip(".")),
        ("frames", str(meta.frame_count)),
        ("duration", f"{meta.duration:.3f} s"),
        ("codec", f"{meta.codec} ({meta.pix_fmt})"),
        ("alpha", "yes" if meta.has_alpha else "no"),
        ("audio", "no" if meta.audio is None else meta.audio.describe()),
    ]
    for key, value in rows:
        click.echo(f"{key:<9} {value}")
