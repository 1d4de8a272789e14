"""The CUDA paths (skipped without a GPU): bf16 autocast tracking with objects batched, state
offloading, and derived weights following a model moved to the GPU. Random tiny weights at
512 px; run with ``pytest -m gpu tests/sam2``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam2.build_sam import build_sam2_video_predictor
from sam2.sam2_video_predictor import SAM2VideoPredictor
from sam2.testing import random_state_dict
from vfx.demo.synthetic import scene_frames

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
MODEL = "sam2.1_hiera_tiny"
PROMPTS = {1: [30, 30], 2: [70, 40]}


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    scene = scene_frames(width=96, height=64, frames=4, objects=2, background=None, seed=2)
    return np.stack([frame.rgb for frame in scene])


def _predictor(device: str) -> SAM2VideoPredictor:
    predictor = build_sam2_video_predictor(MODEL, device=device, image_size=512, fill_hole_area=0)
    predictor.load_state_dict(random_state_dict(MODEL, seed=1))
    return predictor


def _track(predictor, frames, prompts=PROMPTS, autocast=False, **state_options):
    context = (torch.autocast("cuda", dtype=torch.bfloat16) if autocast
               else torch.autocast("cuda", enabled=False))
    with context:
        state = predictor.init_state(frames, **state_options)
        for obj_id, point in prompts.items():
            predictor.add_new_points_or_box(state, 0, obj_id, points=[point], labels=[1])
        out = {t: logits.float().cpu() for t, _, logits in predictor.propagate_in_video(state)}
    return out, state


def _iou(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a > 0, b > 0
    return float((a & b).sum()) / max(float((a | b).sum()), 1.0)


def test_cuda_fp32_matches_the_cpu(frames) -> None:
    """The same weights on both devices: moving a used model follows into its derived caches."""
    predictor = _predictor("cpu")
    on_cpu, _ = _track(predictor, frames)
    predictor.to("cuda")
    on_gpu, _ = _track(predictor, frames)
    for frame, logits in on_cpu.items():
        torch.testing.assert_close(on_gpu[frame], logits, atol=1e-2, rtol=1e-3)


def test_bf16_autocast_batched_objects_match_objects_alone(frames) -> None:
    predictor = _predictor("cuda")
    together, _ = _track(predictor, frames, autocast=True)
    exact, _ = _track(predictor, frames)
    for obj_index, (obj_id, point) in enumerate(PROMPTS.items()):
        alone, _ = _track(predictor, frames, {obj_id: point}, autocast=True)
        for frame, logits in alone.items():
            assert _iou(together[frame][obj_index], logits[0]) > 0.99
    for frame, logits in exact.items():  # bf16 autocast stays close to fp32
        for row in range(len(PROMPTS)):
            assert _iou(together[frame][row], logits[row]) > 0.95
    assert 0.0 < float((together[3] > 0).float().mean()) < 1.0


@pytest.mark.parametrize("offload_video", [False, True])
def test_offloading_keeps_results_on_the_cpu_and_changes_nothing(frames, offload_video) -> None:
    predictor = _predictor("cuda")
    kept, state = _track(predictor, frames)
    offloaded, off_state = _track(predictor, frames, offload_state_to_cpu=True,
                                  offload_video_to_cpu=offload_video)
    track, off_track = state.objects[0], off_state.objects[0]
    assert track.non_cond[3].maskmem_features.device.type == "cuda"
    assert off_track.non_cond[3].maskmem_features.device.type == "cpu"
    assert off_track.non_cond[3].pred_masks.device.type == "cpu"
    for frame, logits in kept.items():
        torch.testing.assert_close(offloaded[frame], logits, atol=1e-4, rtol=0)
