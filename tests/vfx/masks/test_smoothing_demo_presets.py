"""The demo clip through every shipped preset's mask plan: smoothing leaves exact masks exact.

This drives the render pipeline's own mask stages (``masked_frames``: the mask
source, the preset's named masks, their smoothers), on the clip and the mask
folders that ``vfx demo`` writes, and on the green-screen clip it keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vfx.demo.run import DEMO_FPS, DEMO_FRAMES, DEMO_SIZE, write_mask_folders
from vfx.demo.synthetic import write_scene_video
from vfx.io.reader import open_video
from vfx.masks.metrics import claimed_from_others, worst_frame_j
from vfx.presets.loading import list_presets, load_preset
from vfx.rendering.pipeline import masked_frames
from vfx.sources import ChromaKeySource, load_masks

MIN_IOU = 0.99


@pytest.fixture(scope="module")
def demo_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """The demo's scene video, its mask folders and its exact masks ``[T, N, H, W]`` bool."""
    folder = tmp_path_factory.mktemp("demo")
    width, height = DEMO_SIZE
    scene = folder / "scene.mp4"
    exact = write_scene_video(
        scene, width, height, DEMO_FRAMES, DEMO_FPS, objects=2, background=None
    )
    write_mask_folders(exact, folder / "masks")
    return scene, folder / "masks", exact


def pipeline_masks(video: Path, source, specs) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-object masks ``[T, N, H, W]`` as the effects see them, and the frames rendered."""
    objects, frames = [], []
    with open_video(video) as reader, masked_frames(reader, source, specs) as stream:
        for item in stream:
            objects.append(np.stack([item.objects[i] for i in sorted(item.objects)]))
            frames.append(item.frame.rgb)
    return np.stack(objects), frames


def test_every_shipped_preset_keeps_the_demo_masks_exact(
    demo_clip: tuple[Path, Path, np.ndarray],
) -> None:
    scene, masks, exact = demo_clip
    # Presets whose named masks are built the same way give the same per-object masks:
    # each distinct mask plan runs once.
    plans: dict[str, list[str]] = {}
    for name in list_presets():
        specs = load_preset(name).masks
        key = json.dumps(
            {n: [s.objects, s.smooth] for n, s in sorted(specs.items())}, sort_keys=True
        )
        plans.setdefault(key, []).append(name)
    assert sum(len(names) for names in plans.values()) == len(list_presets()) >= 10
    for names in plans.values():
        source = load_masks(masks, size=DEMO_SIZE, frame_count=DEMO_FRAMES)
        out, _ = pipeline_masks(scene, source, load_preset(names[0]).masks)
        iou, t, k = worst_frame_j(out, exact)
        assert iou >= MIN_IOU, f"{names}: object {k + 1} on frame {t}: IoU {iou:.4f}"
        claimed = claimed_from_others(out, exact)
        assert claimed == 0, f"{names}: {claimed} px of an occluder claimed by the object behind"


def test_chroma_keyed_demo_has_no_ghosts(tmp_path: Path) -> None:
    # background-replace-image on the green-screen clip, as `vfx demo` renders it.
    width, height = DEMO_SIZE
    green = tmp_path / "green.mp4"
    exact = write_scene_video(green, width, height, DEMO_FRAMES, DEMO_FPS, objects=2, seed=1)
    keyer = ChromaKeySource("green")
    smoothed, _ = pipeline_masks(green, keyer, load_preset("background-replace-image").masks)
    with open_video(green) as reader:
        raw = np.stack([keyer.masks_at(f.index, f.rgb)[1] for f in reader.frames()])
    truth = exact.any(axis=1)  # [T, H, W]: the key finds both objects as one
    for t in range(len(raw)):
        out, key = smoothed[t, 0] >= 0.5, raw[t] >= 0.5
        ghosts = np.count_nonzero(out & (raw[t] <= 0.1))
        assert ghosts == 0, f"frame {t}: {ghosts} px claimed where the key is clearly off"
        assert np.count_nonzero(out ^ key) <= 0.01 * np.count_nonzero(out | key), f"frame {t}"
        union = np.count_nonzero(out | truth[t])
        assert np.count_nonzero(out & truth[t]) / union >= 0.97, f"frame {t} against the scene"
