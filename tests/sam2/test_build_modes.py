"""Models built the ways callers build them give the same results as a plain build: inside
``torch.inference_mode()`` or ``torch.no_grad()``, cast away and back, and with new weights loaded
into a predictor that has already run (derived weight caches must follow their parameters)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from sam2.build_sam import build_sam2, build_sam2_video_predictor
from sam2.sam2_image_predictor import SAM2ImagePredictor
from sam2.sam2_video_predictor import SAM2VideoPredictor
from sam2.testing import random_state_dict, write_random_checkpoint
from vfx.demo.synthetic import scene_frames

MODEL = "sam2.1_hiera_tiny"
SIZE = dict(image_size=512)
GRAD_MODES: dict[str, Callable[[], contextlib.AbstractContextManager]] = {
    "inference_mode": torch.inference_mode,
    "no_grad": torch.no_grad,
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return write_random_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", MODEL, seed=1)


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    scene = scene_frames(width=96, height=64, frames=3, objects=2, background=None, seed=2)
    return np.stack([frame.rgb for frame in scene])


def _image_outputs(model) -> tuple[np.ndarray, ...]:
    predictor = SAM2ImagePredictor(model)
    image = next(iter(scene_frames(width=96, height=64, frames=1, objects=1, background=None,
                                   seed=3)))
    predictor.set_image(image.rgb)
    masks, scores, logits = predictor.predict(point_coords=[[40, 30]], point_labels=[1])
    return masks, scores, logits, predictor.get_image_embedding().numpy()


def _track(predictor: SAM2VideoPredictor, frames: np.ndarray) -> dict[int, torch.Tensor]:
    state = predictor.init_state(frames)
    predictor.add_new_points_or_box(state, 0, 1, points=[[30, 30]], labels=[1])
    predictor.add_new_points_or_box(state, 0, 2, box=[50, 20, 90, 60])
    return {frame: logits.clone() for frame, _, logits in predictor.propagate_in_video(state)}


def _assert_same_tracks(got: dict, expected: dict) -> None:
    assert sorted(got) == sorted(expected) == [0, 1, 2]
    for frame, logits in expected.items():
        torch.testing.assert_close(got[frame], logits, atol=1e-5, rtol=0)


@pytest.fixture(scope="module")
def plain_image(checkpoint) -> tuple[np.ndarray, ...]:
    return _image_outputs(build_sam2(MODEL, checkpoint, device="cpu", **SIZE))


@pytest.fixture(scope="module")
def plain_video(checkpoint, frames) -> dict[int, torch.Tensor]:
    return _track(build_sam2_video_predictor(MODEL, checkpoint, device="cpu", **SIZE), frames)


@pytest.mark.parametrize("mode", list(GRAD_MODES))
def test_image_model_built_under_a_grad_mode(mode, checkpoint, plain_image) -> None:
    with GRAD_MODES[mode]():
        model = build_sam2(MODEL, checkpoint, device="cpu", **SIZE)
    for got, expected in zip(_image_outputs(model), plain_image, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    with GRAD_MODES[mode]():  # and used inside it too
        for got, expected in zip(_image_outputs(model), plain_image, strict=True):
            np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("mode", list(GRAD_MODES))
def test_video_predictor_built_under_a_grad_mode(mode, checkpoint, frames, plain_video) -> None:
    with GRAD_MODES[mode]():
        predictor = build_sam2_video_predictor(MODEL, checkpoint, device="cpu", **SIZE)
    _assert_same_tracks(_track(predictor, frames), plain_video)


def test_cast_away_and_back_gives_the_same_results(checkpoint, plain_image) -> None:
    model = build_sam2(MODEL, checkpoint, device="cpu", **SIZE)
    _image_outputs(model)  # fill every cache
    model.to(torch.float64).to("cpu").float()  # new storage for every parameter
    for got, expected in zip(_image_outputs(model), plain_image, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("assign", [False, True], ids=["copy", "assign"])
def test_new_weights_reach_a_used_predictor(assign, checkpoint, frames, plain_video) -> None:
    """``load_state_dict`` (in place, or assigning new tensors) on a predictor that has tracked
    equals a fresh predictor built on the new weights."""
    predictor = build_sam2_video_predictor(MODEL, checkpoint, device="cpu", **SIZE)
    _assert_same_tracks(_track(predictor, frames), plain_video)  # caches now hold seed 1
    new_weights = random_state_dict(MODEL, seed=4)
    predictor.load_state_dict({k: v.clone() for k, v in new_weights.items()}, assign=assign)
    fresh = build_sam2_video_predictor(MODEL, device="cpu", **SIZE)
    fresh.load_state_dict(new_weights)
    expected = _track(fresh, frames)
    assert not torch.allclose(expected[2], plain_video[2], atol=1e-2)  # the weights matter
    _assert_same_tracks(_track(predictor, frames), expected)


def test_a_replaced_memory_attention_module_is_used(checkpoint, frames, plain_video) -> None:
    predictor = build_sam2_video_predictor(MODEL, checkpoint, device="cpu", **SIZE)
    _track(predictor, frames)
    donor = build_sam2_video_predictor(MODEL, device="cpu", **SIZE)
    donor.load_state_dict(random_state_dict(MODEL, seed=4))
    predictor.memory_attention = donor.memory_attention
    got = _track(predictor, frames)
    assert not torch.allclose(got[2], plain_video[2], atol=1e-2)


@pytest.mark.slow
def test_vos_optimized_compiles_and_agrees_with_the_plain_build(checkpoint) -> None:
    """``vos_optimized=True`` compiles the image encoder (minutes on a CPU): it must run, and
    its features must equal the eager build's to parity tolerance (measured: ~1e-5)."""
    plain = build_sam2_video_predictor(MODEL, checkpoint, device="cpu", **SIZE)
    vos = build_sam2_video_predictor(MODEL, checkpoint, device="cpu", vos_optimized=True, **SIZE)
    image = torch.randn(1, 3, 512, 512, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected = plain.forward_image(image)["backbone_fpn"]
        got = vos.forward_image(image)["backbone_fpn"]
    for level, want in zip(got, expected, strict=True):
        torch.testing.assert_close(level, want, atol=1e-4, rtol=1e-5)
