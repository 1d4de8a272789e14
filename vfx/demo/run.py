"""The demo: a few presets rendered on a generated clip, offline and without weights.

Masks come from the generated scene (written as PNG folders, the way masks made
elsewhere are imported) and from a chroma key of a green-screen version of the clip;
with a SAM 2 checkpoint, one click per object also tracks them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from vfx.prompts.model import ObjectPrompts

# (preset, output name, mask source): "masks" = the scene's exact masks as PNG
# folders, "chroma" = keyed from the green-screen clip.
DEMO_RENDERS = (
    ("background-blur", "background-blur.mp4", "masks"),
    ("color-splash", "color-splash.mp4", "masks"),
    ("highlight-overlay", "highlight-overlay.mp4", "masks"),
    ("cutout-alpha", "cutout-alpha.webm", "masks"),
    ("background-replace-image", "background-replace-image.mp4", "chroma"),
)
DEMO_SIZE = (480, 270)
DEMO_FRAMES = 40
DEMO_FPS = 24
SAM2_OUTPUT = "sam2-highlight-overlay.mp4"


def run_demo(
    out_dir: Path,
    *,
    force: bool = False,
    use_sam2: bool | None = None,
    progress: bool = True,
    echo: Callable[[str], object] = print,
) -> list[Path]:
    """Write the sample clips, their masks and the renders into ``out_dir`` (atomically).

    ``use_sam2``: also track with SAM 2 (None: when a checkpoint is found).
    Returns the paths of the renders.
    """
    from vfx.api import render
    from vfx.demo.synthetic import write_scene_video
    from vfx.io.atomic import atomic_output, check_output_path

    check_output_path(out_dir, force=force, folder=True)
    sam2_model = demo_model(use_sam2)
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
            result = render(clip, tmp / name, preset=preset, progress=progress, **kwargs)
            echo(f"{preset:<26} {result.frames} frames at {result.fps:5.1f} fps")
        outputs = [name for _, name, _ in DEMO_RENDERS]
        if sam2_model is not None:
            echo(f"tracking with SAM 2 ({sam2_model}) from one click per object ...")
            result = render(
                scene,
                tmp / SAM2_OUTPUT,
                preset="highlight-overlay",
                prompts=object_clicks(masks[0]),
                model=sam2_model,
                progress=progress,
            )
            label = "sam2 + highlight-overlay"
            echo(f"{label:<26} {result.frames} frames at {result.fps:5.1f} fps")
            outputs.append(SAM2_OUTPUT)
    elapsed = time.perf_counter() - started
    echo(f"demo done in {elapsed:.1f} s; outputs in {out_dir}/:")
    for name in outputs:
        echo(f"  {out_dir / name}")
    echo("Try it yourself on the sample clip, e.g.:")
    echo(
        f"  vfx render {out_dir / 'scene.mp4'} -o spotlight.mp4 --preset spotlight "
        f"--masks {out_dir / 'masks'}"
    )
    return [out_dir / name for name in outputs]


def write_mask_folders(masks: np.ndarray, folder: Path) -> None:
    """Write ``masks`` ``[T, N, H, W]`` bool as ``folder/<id>/<frame:05d>.png`` (ids from 1)."""
    for k in range(masks.shape[1]):
        obj_dir = folder / str(k + 1)
        obj_dir.mkdir(parents=True)
        for t in range(masks.shape[0]):
            cv2.imwrite(str(obj_dir / f"{t:05d}.png"), masks[t, k].astype(np.uint8) * 255)


def demo_model(use_sam2: bool | None) -> str | None:
    """The SAM 2 model to demo with: None when not wanted, or not found and not asked for."""
    from vfx.errors import VfxError
    from vfx.sources.tracking import choose_model

    if use_sam2 is False:
        return None
    try:
        return choose_model(None, None).name
    except VfxError:
        if use_sam2:
            raise
        return None


def object_clicks(masks: np.ndarray) -> list[ObjectPrompts]:
    """One click per object on frame 0, at its innermost pixel; ``masks`` is ``[N, H, W]`` bool."""
    from vfx.prompts.parsing import parse_prompts

    points = []
    for k, mask in enumerate(masks):
        depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
        y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
        points.append(f"0:{x},{y}:{k + 1}")
    return parse_prompts(points=points)
