"""``vfx demo``: render a few presets on a generated clip, offline and without weights."""

from __future__ import annotations

import time
from pathlib import Path

import click
import cv2
import numpy as np

# (preset, output name, mask source): "masks" = the scene's exact masks as PNG
# folders, "chroma" = keyed from the green-screen clip.
DEMO_RENDERS = (
    ("background-blur", "background-blur.mp4", "masks"),
    ("color-splash", "color-splash.mp4", "masks"),
    ("highlight-overlay", "highlight-overlay.mp4", "masks"),
    ("cutout-alpha", "cutout-alpha.webm", "masks"),
    ("background-replace-image", "background-replace-image.mp4", "chroma"),
)
DEMO_SIZE = (640, 360)
DEMO_FRAMES = 48
DEMO_FPS = 24


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
@click.option("--force", is_flag=True, help="Replace the folder if it exists.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def demo(out_dir: Path, force: bool, quiet: bool) -> None:
    """Generate a short clip with moving objects and a sound track, then render presets on it.

    Works offline with no model weights: masks come from the generated scene
    (as PNG folders, the way masks made elsewhere are imported) and from a
    chroma key of a green-screen version of the clip.
    """
    from vfx.api import render
    from vfx.io.atomic import atomic_output, check_output_path
    from vfx.synthetic import write_scene_video

    check_output_path(out_dir, force=force)
    started = time.perf_counter()
    width, height = DEMO_SIZE
    with atomic_output(out_dir, directory=True) as tmp:
        scene = tmp / "scene.mp4"
        masks = write_scene_video(
            scene, width, height, DEMO_FRAMES, DEMO_FPS, objects=2, background=None
        )
        write_mask_folders(masks, tmp / "masks")
        green = tmp / "scene-greenscreen.mp4"
        write_scene_video(green, width, height, DEMO_FRAMES, DEMO_FPS, objects=2, seed=1)
        for preset, name, source in DEMO_RENDERS:
            kwargs = {"masks": tmp / "masks"} if source == "masks" else {"chroma": "green"}
            clip = scene if source == "masks" else green
            result = render(clip, tmp / name, preset=preset, progress=not quiet, **kwargs)
            click.echo(f"{preset:<26} {result.frames} frames at {result.fps:5.1f} fps")
    elapsed = time.perf_counter() - started
    click.echo(f"demo done in {elapsed:.1f} s; outputs in {out_dir}/:")
    for _, name, _ in DEMO_RENDERS:
        click.echo(f"  {out_dir / name}")
    click.echo("Try it yourself on the sample clip, e.g.:")
    click.echo(
        f"  vfx render {out_dir / 'scene.mp4'} -o spotlight.mp4 --preset spotlight "
        f"--masks {out_dir / 'masks'}"
    )


def write_mask_folders(masks: np.ndarray, folder: Path) -> None:
    """Write ``masks`` ``[T, N, H, W]`` bool as ``folder/<id>/<frame:05d>.png`` (ids from 1)."""
    for k in range(masks.shape[1]):
        obj_dir = folder / str(k + 1)
        obj_dir.mkdir(parents=True)
        for t in range(masks.shape[0]):
            cv2.imwrite(str(obj_dir / f"{t:05d}.png"), masks[t, k].astype(np.uint8) * 255)
