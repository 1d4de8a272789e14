"""SAM2ImagePredictor on random weights: the seed snippet, shapes, dtypes, batching, errors and
post-processing (hole filling / sprinkle removal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sam2.build_sam import build_sam2
from sam2.checkpoint import load_checkpoint
from sam2.postprocess import component_areas, fill_holes, small_regions
from sam2.sam2_image_predictor import SAM2ImagePredictor
from sam2.testing import random_state_dict, write_random_checkpoint


def _scene(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    """A noisy RGB frame with a bright rectangle and a dark disc."""
    rng = np.random.default_rng(seed)
    image = (rng.random((height, width, 3)) * 60 + 40).astype(np.uint8)
    image[20:60, 30:90] = (230, 180, 40)
    yy, xx = np.mgrid[:height, :width]
    image[(yy - 70) ** 2 + (xx - 100) ** 2 < 15**2] = (20, 30, 160)
    return image


@pytest.fixture(scope="module")
def predictor() -> SAM2ImagePredictor:
    # image_size 512 keeps this module fast; parity at 1024 lives in test_image_parity.py.
    model = build_sam2("sam2.1_hiera_tiny", device="cpu", image_size=512)
    load_checkpoint(model, random_state_dict("sam2.1_hiera_tiny"))
    return SAM2ImagePredictor(model)


def _assert_not_degenerate(masks: np.ndarray) -> None:
    fraction = float(masks.mean())
    assert 0.02 < fraction < 0.98, fraction


def test_seed_snippet_runs_unchanged_with_tiny(tmp_path: Path) -> None:
    checkpoint = write_random_checkpoint(tmp_path / "sam2_hiera_tiny.pt", "sam2_hiera_tiny")
    predictor = SAM2ImagePredictor(build_sam2("sam2_hiera_t.yaml", str(checkpoint)))
    predictor.set_image(_scene())
    masks, scores, logits = predictor.predict(
        point_coords=np.array([[60, 40]]), point_labels=np.array([1])
    )
    assert masks.shape == (3, 96, 128) and masks.dtype == np.float32
    assert set(np.unique(masks)) <= {0.0, 1.0}
    assert scores.shape == (3,) and scores.dtype == np.float32
    assert logits.shape == (3, 256, 256) and logits.dtype == np.float32
    _assert_not_degenerate(masks)


@pytest.mark.slow
def test_seed_snippet_runs_unchanged_with_large(tmp_path: Path) -> None:
    checkpoint = write_random_checkpoint(tmp_path / "sam2_hiera_large.pt", "sam2_hiera_large")
    predictor = SAM2ImagePredictor(build_sam2("sam2_hiera_l.yaml", str(checkpoint)))
    predictor.set_image(_scene())
    masks, scores, logits = predictor.predict(
        point_coords=np.array([[60, 40]]), point_labels=np.array([1])
    )
    assert (masks.shape, scores.shape, logits.shape) == ((3, 96, 128), (3,), (3, 256, 256))
    _assert_not_degenerate(masks)


def test_output_shapes_for_every_prompt_kind(predictor: SAM2ImagePredictor) -> None:
    predictor.set_image(_scene())
    assert predictor.get_image_embedding().shape == (1, 256, 32, 32)
    masks, ious, low = predictor.predict(
        point_coords=[[60, 40], [100, 70]], point_labels=[1, 0], multimask_output=False
    )
    assert (masks.shape, ious.shape, low.shape) == ((1, 96, 128), (1,), (1, 128, 128))
    masks, ious, low = predictor.predict(box=[30, 20, 90, 60], return_logits=True)
    assert masks.shape == (3, 96, 128) and masks.dtype == np.float32
    assert not set(np.unique(masks)) <= {0.0, 1.0}  # logits, not a binary mask
    assert np.abs(low).max() <= 32.0
    masks, ious, low = predictor.predict(box=[[30, 20, 90, 60], [80, 50, 120, 90]])
    assert (masks.shape, ious.shape, low.shape) == ((2, 3, 96, 128), (2, 3), (2, 3, 128, 128))
    _assert_not_degenerate(masks)
    masks, _, _ = predictor.predict(mask_input=low[0, :1], multimask_output=False)
    assert masks.shape == (1, 96, 128)


def test_predict_best_equals_the_best_of_predict(predictor: SAM2ImagePredictor) -> None:
    predictor.set_image(_scene())
    for kwargs in ({"point_coords": [[60, 40]], "point_labels": [1]},
                   {"point_coords": [[60, 40], [100, 70]], "point_labels": [1, 0],
                    "multimask_output": False},
                   {"box": [30, 20, 90, 60]}):
        masks, ious, low = predictor.predict(**kwargs)
        mask, iou, low_best = predictor.predict_best(**kwargs)
        best = int(np.argmax(ious))
        assert mask.dtype == bool and mask.shape == (96, 128)
        np.testing.assert_array_equal(mask, masks[best] > 0.5)
        assert iou == pytest.approx(float(ious[best]))
        np.testing.assert_array_equal(low_best, low[best])
    with pytest.raises(ValueError, match="one prompt set"):
        predictor.predict_best(box=[[30, 20, 90, 60], [80, 50, 120, 90]])


def test_normalized_coordinates_match_pixel_coordinates(predictor: SAM2ImagePredictor) -> None:
    predictor.set_image(_scene())
    pixel = predictor.predict(point_coords=[[64, 48]], point_labels=[1], return_logits=True)
    normal = predictor.predict(
        point_coords=[[0.5, 0.5]], point_labels=[1], normalize_coords=False, return_logits=True
    )
    for a, b in zip(pixel, normal, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_pil_like_input_equals_numpy_input(predictor: SAM2ImagePredictor) -> None:
    image = _scene()

    class PilLike:
        size = (image.shape[1], image.shape[0])

        def convert(self, mode: str) -> np.ndarray:
            assert mode == "RGB"
            return image

    predictor.set_image(PilLike())
    from_pil = predictor.get_image_embedding().clone()
    predictor.set_image(image)
    torch.testing.assert_close(from_pil, predictor.get_image_embedding(), rtol=0, atol=0)


def test_batch_matches_single_images(predictor: SAM2ImagePredictor) -> None:
    images = [_scene(seed=1), _scene(80, 100, seed=2)]
    boxes = [np.array([30, 20, 90, 60]), np.array([10, 10, 60, 50])]
    predictor.set_image_batch(images)
    batch_masks, batch_ious, batch_low = predictor.predict_batch(box_batch=boxes)
    for index, image in enumerate(images):
        predictor.set_image(image)
        _, ious, low = predictor.predict(box=boxes[index])
        assert batch_masks[index].shape == (3, *image.shape[:2])
        np.testing.assert_allclose(batch_ious[index], ious, atol=1e-4)
        np.testing.assert_allclose(batch_low[index], low, atol=1e-3)


def test_errors_are_clear(predictor: SAM2ImagePredictor) -> None:
    predictor.reset_predictor()
    with pytest.raises(RuntimeError, match="set_image"):
        predictor.predict(point_coords=[[1, 1]], point_labels=[1])
    with pytest.raises(RuntimeError, match="set_image"):
        predictor.get_image_embedding()
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        predictor.set_image(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        predictor.set_image(np.zeros((10, 10, 3), np.int32))
    predictor.set_image(_scene())
    with pytest.raises(ValueError, match="point_labels must be given"):
        predictor.predict(point_coords=[[1, 1]])
    with pytest.raises(ValueError, match=r"point_coords must be \[N, 2\]"):
        predictor.predict(point_coords=[[1, 1], [2, 2]], point_labels=[1])
    with pytest.raises(ValueError, match="box must be"):
        predictor.predict(box=[1, 2, 3])
    with pytest.raises(RuntimeError, match="set_image_batch"):
        predictor.predict_batch(box_batch=[[1, 2, 3, 4]])


def test_inputs_are_not_modified(predictor: SAM2ImagePredictor) -> None:
    image, coords = _scene(), np.array([[60.0, 40.0]])
    image_copy, coords_copy = image.copy(), coords.copy()
    predictor.set_image(image)
    predictor.predict(point_coords=coords, point_labels=np.array([1]))
    assert np.array_equal(image, image_copy) and np.array_equal(coords, coords_copy)


def test_component_areas_use_8_connectivity() -> None:
    mask = np.zeros((6, 6), bool)
    mask[0, 0] = mask[1, 1] = True  # diagonal neighbours: one component
    mask[4:6, 3:6] = True
    areas = component_areas(mask)
    assert areas[0, 0] == areas[1, 1] == 2
    assert (areas[4:6, 3:6] == 6).all()
    assert (areas[~mask] == 0).all()


def test_fill_holes_fills_only_small_background_regions() -> None:
    logits = torch.full((1, 1, 12, 12), 5.0)
    logits[..., 2:4, 2:4] = -3.0  # 4-pixel hole
    logits[..., 6:12, 6:12] = -3.0  # 36-pixel background region
    filled = fill_holes(logits, max_area=8)
    assert (filled[..., 2:4, 2:4] == 0.1).all()
    assert (filled[..., 6:12, 6:12] == -3.0).all()
    assert (logits[..., 2:4, 2:4] == -3.0).all()  # input untouched
    foreground = logits > 0  # one 104-pixel region
    assert torch.equal(small_regions(foreground, 200), foreground)
    assert not small_regions(foreground, 50).any()


def test_predictor_hole_and_sprinkle_post_processing() -> None:
    model = build_sam2("sam2.1_hiera_tiny", device="cpu", image_size=512)
    predictor = SAM2ImagePredictor(model, max_hole_area=10, max_sprinkle_area=10)
    logits = torch.full((1, 1, 64, 64), 4.0)
    logits[..., 10:12, 10:12] = -4.0  # hole (4 px)
    logits[..., 30:64, 30:64] = -4.0  # big background
    logits[..., 40:42, 40:43] = 4.0  # speck (6 px) inside the background
    out = predictor._postprocess_masks(logits, (64, 64))
    assert (out[..., 10:12, 10:12] == 10.0).all()  # threshold + 10, as the reference
    assert (out[..., 40:42, 40:43] == -10.0).all()
    assert (out[..., 50:60, 50:60] == -4.0).all()
    plain = SAM2ImagePredictor(model)._postprocess_masks(logits, (64, 64))
    assert torch.equal(plain, logits)
