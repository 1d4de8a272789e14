"""The SAM 2 mask source: prompts in, per-object probabilities into a masklet store."""

from __future__ import annotations

import numpy as np
import pytest

from sam2.configs import SAM2Config
from sam2.sam2_video_predictor import SAM2VideoPredictor
from sam2.testing import randomize_
from vfx.demo.synthetic import scene_frames
from vfx.errors import VfxError
from vfx.prompts.model import FramePrompt, ObjectPrompts
from vfx.sources.sam2_source import track_objects

WIDTH, HEIGHT, FRAMES = 80, 48, 3


@pytest.fixture(scope="module")
def predictor() -> SAM2VideoPredictor:
    config = SAM2Config.from_name("sam2.1_hiera_tiny", image_size=512, fill_hole_area=0)
    return randomize_(SAM2VideoPredictor(config), seed=1).eval()


@pytest.fixture(scope="module")
def scene() -> tuple[np.ndarray, np.ndarray]:
    frames = list(scene_frames(width=WIDTH, height=HEIGHT, frames=FRAMES, objects=2,
                               background=None, seed=4))
    return np.stack([f.rgb for f in frames]), np.stack([f.masks for f in frames])


def test_tracks_forward_then_backward(predictor, scene) -> None:
    video, masks = scene
    objects = [
        ObjectPrompts(1, "disc", [FramePrompt(frame=1, points=[[20, 20]], labels=[1]),
                                  FramePrompt(frame=1, points=[[60, 30]], labels=[0])]),
        ObjectPrompts(2, "square", [FramePrompt(frame=2, mask=masks[2, 1])]),
    ]
    frames = dict(track_objects(predictor, video, objects, progress=False))
    assert sorted(frames) == list(range(FRAMES))
    assert all(sorted(found) == [1, 2] for found in frames.values())
    probs = np.stack([frames[t][2] for t in range(FRAMES)])  # [T, H, W]
    assert probs.shape == (FRAMES, HEIGHT, WIDTH) and probs.dtype == np.float32
    assert probs.min() >= 0.0 and probs.max() <= 1.0
    # the mask prompt's frame is a conditioning frame: its mask comes back (+/-10 logits)
    overlap = ((probs[2] > 0.5) == masks[2, 1]).mean()
    assert overlap > 0.97
    assert predictor.add_all_frames_to_correct_as_cond is False  # restored afterwards


def test_frame_order_and_each_frame_once(predictor, scene) -> None:
    video, _ = scene
    objects = [ObjectPrompts(1, "disc", [FramePrompt(frame=1, box=[5, 5, 40, 40])])]
    order = [index for index, masks in track_objects(predictor, video, objects, progress=False)]
    assert order == [1, 2, 0]


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([], "no objects"),
        ([ObjectPrompts(1, "a", [])], "has no prompts"),
        ([ObjectPrompts(1, "a", [FramePrompt(frame=FRAMES, points=[[1, 1]])])],
         "beyond the last frame"),
        ([ObjectPrompts(1, "a", [FramePrompt(frame=0, points=[[500, 1]])])], "outside the 80x48"),
        ([ObjectPrompts(1, "a", [FramePrompt(frame=0, points=[[1, 1]], labels=[1, 0])])],
         "1 points but 2 labels"),
        ([ObjectPrompts(1, "a", [FramePrompt(frame=-1, points=[[1, 1]])])], "start at 0"),
        ([ObjectPrompts(1, "a", [FramePrompt(frame=0)])], "frame 0 is empty"),
    ],
)
def test_bad_prompts_are_one_line_errors(predictor, scene, objects, message) -> None:
    video, _ = scene
    with pytest.raises(VfxError, match=message):
        list(track_objects(predictor, video, objects, progress=False))
