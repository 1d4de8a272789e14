"""refine(): the chain of steps, its settings and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.masks import (
    RefineSettings,
    feather_mask,
    fill_holes,
    grow_mask,
    refine,
    remove_islands,
)
from vfx.masks.refinement import guided_refine


def blob_with_hole_and_island() -> np.ndarray:
    mask = np.zeros((80, 80), np.float32)
    mask[10:60, 10:60] = 1.0
    mask[30:33, 30:33] = 0.0  # 9 px hole
    mask[70:73, 70:73] = 1.0  # 9 px island
    return mask


def test_default_settings_change_nothing() -> None:
    mask = blob_with_hole_and_island()
    assert RefineSettings().is_identity
    out = refine(mask)
    np.testing.assert_array_equal(out, mask)
    assert out is not mask


def test_steps_run_in_order() -> None:
    mask = blob_with_hole_and_island()
    out = refine(mask, fill_holes=20, remove_islands=20, grow=2)
    assert out[30:33, 30:33].min() == 1.0
    assert out[66:78, 66:78].max() == 0.0
    # Grown after cleaning: the island did not grow into something bigger first.
    np.testing.assert_array_equal(
        out[:64, :64], grow_mask(np.pad(np.ones((50, 50), np.float32), 10), 2)[:64, :64]
    )


def test_grow_and_shrink_combine_into_one_net_change() -> None:
    mask = blob_with_hole_and_island()
    np.testing.assert_array_equal(refine(mask, grow=3, shrink=1), refine(mask, grow=2))
    assert RefineSettings(grow=2, shrink=2).is_identity


def test_settings_object_can_be_passed_whole() -> None:
    mask = blob_with_hole_and_island()
    settings = RefineSettings.from_dict({"feather": 4})
    np.testing.assert_array_equal(refine(mask, settings=settings), refine(mask, feather=4))


def test_settings_are_validated_with_helpful_messages() -> None:
    with pytest.raises(VfxError, match="unknown refine setting fethar; allowed: fill_holes"):
        RefineSettings.from_dict({"fethar": 2})
    with pytest.raises(VfxError, match="feather must be >= 0"):
        RefineSettings.from_dict({"feather": -1})
    with pytest.raises(VfxError, match="must be of type float"):
        RefineSettings.from_dict({"grow": "3"})
    with pytest.raises(VfxError, match="mapping"):
        RefineSettings.from_dict([1, 2])  # type: ignore[arg-type]


def test_guided_refinement_needs_a_matching_frame() -> None:
    mask = blob_with_hole_and_island()
    with pytest.raises(VfxError, match="needs the video frame"):
        refine(mask, guided_radius=4)
    with pytest.raises(VfxError, match="does not match"):
        refine(mask, np.zeros((10, 10, 3), np.uint8), guided_radius=4)
    out = refine(mask, np.zeros((80, 80, 3), np.uint8), guided_radius=4)
    assert out.shape == (80, 80) and out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("corner", [False, True])
def test_refinement_in_the_masks_box_equals_the_steps_on_the_whole_frame(corner: bool) -> None:
    # refine() works in one box around the mask; every step run on the whole
    # frame must give the same values, also where the box meets the image edge
    # and with subsampling grids (guided 3, feather 2) that the box must respect.
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (240, 320, 3)).astype(np.uint8)
    mask = np.zeros((240, 320), np.float32)
    top, left = (0, 0) if corner else (131, 157)
    mask[top : top + 40, left : left + 50] = 0.9
    mask[top + 15 : top + 18, left + 20 : left + 23] = 0.0  # hole
    mask[top + 45 : top + 47, left + 55 : left + 57] = 0.8  # island
    settings = RefineSettings(
        fill_holes=20, remove_islands=20, grow=3, guided_radius=6, guided_subsample=3, feather=20
    )
    expected = fill_holes(mask, 20)
    expected = remove_islands(expected, 20)
    expected = grow_mask(expected, 3)
    expected = guided_refine(expected, frame, 6, settings.guided_eps, 3)
    expected = feather_mask(expected, 20)
    np.testing.assert_array_equal(refine(mask, frame, settings=settings), expected)
    assert expected.max() > 0.5
