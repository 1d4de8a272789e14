"""Parity of the video predictor with the official SAM 2 (``.venv-reference``), CPU fp32.

Both sides get the same random weights, the same JPEG frame folder (decoded by Pillow on both)
and ``fill_hole_area=0``; ``image_size=512`` keeps the run short. One scenario covers three
objects prompted by a point, a box and a mask on different frames, propagation, a correction
click on a tracked frame followed by re-propagation, reverse propagation and ``remove_object``.
Every returned mask must agree (per object and frame IoU >= 0.999) and every logit within
``LOGIT_ATOL + 1e-4 * |logit|``. Measured here: identical logits (max difference 0.0) for both
configs; the tolerance leaves room for other BLAS builds. Memories are rounded to bf16 on both
sides, as the reference stores them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from reference_video_worker import REFERENCE_PYTHON, run_reference, run_scenario

from sam2.build_sam import build_sam2_video_predictor
from sam2.testing import write_random_checkpoint
from vfx.demo.synthetic import scene_frames

LOGIT_ATOL = 1e-4  # logits reach ~+-30
FRAMES = 5

pytestmark = [
    pytest.mark.parity,
    pytest.mark.skipif(not REFERENCE_PYTHON.exists(), reason="needs .venv-reference"),
]

STEPS = [
    {"op": "points", "frame": 0, "obj": 1, "points": [[52, 40]], "labels": [1]},
    {"op": "points", "frame": 1, "obj": 2, "box": [60, 30, 120, 90]},
    {"op": "mask", "frame": 2, "obj": 3, "mask": "obj3"},
    {"op": "propagate"},
    # a correction click on a tracked frame, then re-propagation over it
    {"op": "points", "frame": 3, "obj": 1, "points": [[70, 60]], "labels": [0],
     "clear_old_points": False},
    {"op": "propagate", "start": 3},
    {"op": "propagate", "start": FRAMES - 1, "max": 2, "reverse": True},
    {"op": "remove", "obj": 2},
    {"op": "propagate", "start": 1, "max": 1},
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    """A folder of JPEG frames of moving shapes, and a mask of the third shape on frame 2."""
    folder = tmp_path_factory.mktemp("frames")
    scene = list(scene_frames(width=160, height=120, frames=FRAMES, objects=3, background=None))
    for index, frame in enumerate(scene):
        Image.fromarray(frame.rgb).save(folder / f"{index:05d}.jpg", quality=95)
    masks = {"obj3": scene[2].masks[2]}
    np.savez(folder.parent / "masks.npz", **masks)
    return folder, masks


@pytest.mark.parametrize(
    "config_file",
    ["configs/sam2.1/sam2.1_hiera_t.yaml", "configs/sam2/sam2_hiera_t.yaml"],
)
def test_video_predictor_matches_reference(
    config_file: str, clip: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, masks = clip
    checkpoint = write_random_checkpoint(tmp_path / "random.pt", config_file, seed=3)
    predictor = build_sam2_video_predictor(
        config_file, checkpoint, device="cpu", image_size=512, fill_hole_area=0
    )
    ours = run_scenario(predictor, str(video), STEPS, masks)
    reference, _ = run_reference(
        tmp_path, config_file, checkpoint, video, STEPS, masks_path=video.parent / "masks.npz",
        overrides={"image_size": 512}, predictor_attrs={"fill_hole_area": 0},
    )

    assert [(s, f, ids) for s, f, ids, _ in ours] == [(s, f, ids) for s, f, ids, _ in reference]
    foreground = [(logits > 0).mean() for *_, logits in ours]
    assert 0.01 < np.mean(foreground) < 0.99, "random weights gave trivial masks"
    for (step, frame, ids, mine), (*_, theirs) in zip(ours, reference, strict=True):
        for row, obj_id in enumerate(ids):
            a, b = mine[row, 0] > 0, theirs[row, 0] > 0
            union = np.logical_or(a, b).sum()
            iou = np.logical_and(a, b).sum() / union if union else 1.0
            assert iou >= 0.999, f"step {step} frame {frame} object {obj_id}: IoU {iou:.5f}"
        torch.testing.assert_close(
            torch.from_numpy(mine), torch.from_numpy(theirs), atol=LOGIT_ATOL, rtol=1e-4,
            msg=lambda m, s=step, f=frame: f"step {s} frame {f}: {m}",
        )
