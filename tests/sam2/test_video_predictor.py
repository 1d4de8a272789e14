"""Behaviour of our video predictor beyond the reference: batching, streaming, bounded memory,
hole filling, the fast memory attention, and input errors (random weights, 512-px model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam2.configs import SAM2Config
from sam2.modeling.fast.memory_attention import FastMemoryAttention
from sam2.modeling.tracking import HeadOutputs
from sam2.sam2_video_predictor import SAM2VideoPredictor
from sam2.testing import randomize_
from sam2.video_state import FrameOutput
from vfx.demo.synthetic import scene_frames


@pytest.fixture(scope="module")
def predictor() -> SAM2VideoPredictor:
    config = SAM2Config.from_name("sam2.1_hiera_tiny", image_size=512, fill_hole_area=0)
    return randomize_(SAM2VideoPredictor(config), seed=1).eval()


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    scene = scene_frames(width=96, height=64, frames=2, objects=2, background=None, seed=2)
    return np.stack([frame.rgb for frame in scene])


@pytest.fixture(scope="module")
def first_alone(predictor, frames) -> dict:
    return _track(predictor, frames, {1: [30, 30]})


def _track(predictor: SAM2VideoPredictor, video, prompts: dict[int, list]) -> dict:
    state = predictor.init_state(video)
    for obj_id, point in prompts.items():
        predictor.add_new_points_or_box(state, 0, obj_id, points=[point], labels=[1])
    return {frame: logits for frame, _, logits in predictor.propagate_in_video(state)}


def test_objects_batched_match_objects_alone(predictor, frames, first_alone) -> None:
    together = _track(predictor, frames, {1: [30, 30], 2: [70, 40]})
    alone = [first_alone, _track(predictor, frames, {2: [70, 40]})]
    assert sorted(together) == [0, 1]
    for frame, logits in together.items():
        assert logits.shape == (2, 1, 64, 96)
        for row in range(2):
            torch.testing.assert_close(logits[row], alone[row][frame][0], atol=1e-3, rtol=1e-3)
    foreground = torch.stack([(x > 0).float().mean() for x in together.values()])
    assert 0.0 < foreground.mean() < 1.0


def test_stream_input_tracks_like_an_array(predictor, frames, first_alone) -> None:
    from_stream = _track(predictor, iter(list(frames)), {1: [30, 30]})
    assert sorted(from_stream) == [0, 1]
    for frame, expected in first_alone.items():
        # An endless stream normalises pointer offsets by max_obj_ptrs_in_encoder, as any video
        # of 16+ frames does; this 2-frame array uses 2, so logits differ slightly.
        torch.testing.assert_close(from_stream[frame], expected, atol=1e-2, rtol=1e-2)
        assert torch.equal(from_stream[frame] > 0, expected > 0) or frame > 0


def test_fast_attention_matches_the_module(predictor) -> None:
    generator = torch.Generator().manual_seed(0)
    curr = torch.randn(256, 1, 256, generator=generator).expand(-1, 2, -1)
    curr_pos = torch.randn(256, 1, 256, generator=generator).expand(-1, 2, -1)
    memory = torch.randn(2 * 256 + 8, 2, 64, generator=generator)
    memory_pos = torch.randn(2 * 256 + 8, 2, 64, generator=generator)
    args = dict(curr=[curr], curr_pos=[curr_pos], memory=memory, memory_pos=memory_pos,
                num_obj_ptr_tokens=8)
    with torch.inference_mode():
        expected = predictor.memory_attention(**args)
        exact = FastMemoryAttention(predictor.memory_attention)(**args)
        fast = FastMemoryAttention(predictor.memory_attention, "bf16", chunk=64)(**args)
    torch.testing.assert_close(exact, expected, atol=1e-4, rtol=1e-4)
    assert (fast - expected).abs().max() < 0.1 * expected.abs().max()
    with pytest.raises(ValueError, match="precision"):
        FastMemoryAttention(predictor.memory_attention, "fp8")


def test_prune_keeps_only_what_attention_can_read(predictor, frames) -> None:
    state = predictor.init_state(frames)
    track = state.objects[state.obj_idx(1)]
    ptr = torch.zeros(1, 256)
    score = torch.ones(1, 1)

    def output() -> FrameOutput:
        return FrameOutput(torch.zeros(1, 1, 128, 128), ptr, score, torch.zeros(1, 64, 32, 32))

    track.cond[0] = output()
    for t in range(1, 100):
        track.non_cond[t] = output()
    state.frontier = 99
    predictor._prune(state)
    kept = sorted(track.non_cond)
    reach = predictor.max_obj_ptrs_in_encoder
    assert kept == [t for t in range(1, 100) if t <= reach or t >= 99 - reach]
    with_memory = [t for t in kept if track.non_cond[t].maskmem_features is not None]
    assert with_memory == [t for t in kept if t <= 8 or t >= 91]
    stripped = track.non_cond[12]
    assert stripped.obj_ptr is ptr and stripped.pred_masks is None
    assert 0 in track.cond


def test_fill_holes_on_cpu(predictor, frames) -> None:
    state = predictor.init_state(frames)
    logits = torch.full((1, 1, 16, 16), 5.0)
    logits[0, 0, 7:9, 7:9] = -5.0  # a 4-pixel hole
    heads = HeadOutputs(logits, logits, torch.zeros(1, 256), torch.ones(1, 1))
    predictor.fill_hole_area = 8
    try:
        filled = predictor._compact(state, heads, None)[0].pred_masks
    finally:
        predictor.fill_hole_area = 0
    assert bool((filled > 0).all())
    assert predictor._compact(state, heads, None)[0].pred_masks.lt(0).sum() == 4


def test_clear_non_cond_memory_and_remove_object(predictor, frames) -> None:
    predictor.clear_non_cond_mem_around_input = True
    try:
        state = predictor.init_state(frames)
        predictor.add_new_points_or_box(state, 0, 1, points=[[30, 30]], labels=[1])
        predictor.add_new_points_or_box(state, 0, 2, box=[50, 20, 90, 60])
        outputs = list(predictor.propagate_in_video(state))
        assert [frame for frame, _, _ in outputs] == [0, 1]
        _, ids, masks = predictor.add_new_points_or_box(state, 1, 1, points=[[35, 30]],
                                                        labels=[0], clear_old_points=False)
        assert ids == [1, 2] and masks.shape == (2, 1, 64, 96)
        assert 1 in state.objects[1].non_cond
        list(predictor.propagate_in_video(state, start_frame_idx=1, max_frame_num_to_track=0))
        # the reference raises AttributeError here; ours clears stale memories around prompts
        assert sorted(state.objects[0].non_cond) == [1] and 1 in state.objects[1].non_cond
    finally:
        predictor.clear_non_cond_mem_around_input = False
    ids, updated = predictor.remove_object(state, 2)
    assert ids == [1] and [frame for frame, _ in updated] == [0]
    assert updated[0][1].shape == (1, 1, 64, 96)
    assert predictor.remove_object(state, 99) == ([1], [])
    with pytest.raises(RuntimeError, match="does not exist"):
        predictor.remove_object(state, 99, strict=True)
    predictor.reset_state(state)
    assert state.obj_ids == []
    with pytest.raises(RuntimeError, match="no input points"):
        list(predictor.propagate_in_video(state))


def test_input_errors(predictor, frames) -> None:
    state = predictor.init_state(frames)
    with pytest.raises(ValueError, match="together"):
        predictor.add_new_points_or_box(state, 0, 1, points=[[1, 2]])
    with pytest.raises(ValueError, match="at least one"):
        predictor.add_new_points_or_box(state, 0, 1)
    with pytest.raises(IndexError, match="outside"):
        predictor.add_new_points_or_box(state, 5, 1, points=[[1, 2]], labels=[1])
    with pytest.raises(ValueError, match="mask must be"):
        predictor.add_new_mask(state, 0, 1, np.zeros((2, 3, 4), bool))
    predictor.tracking_precision = "fp16"
    try:
        with pytest.raises(ValueError, match="tracking_precision"):
            predictor.add_new_points_or_box(state, 0, 1, points=[[1, 2]], labels=[1])
    finally:
        predictor.tracking_precision = "fp32"
