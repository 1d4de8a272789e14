"""The automatic mask generator's parts: point grids, crop boxes, box NMS, mask boxes, RLE."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pycocotools import mask as coco_mask

from sam2.amg_boxes import box_nms, masks_to_boxes, near_crop_edge, xyxy_to_xywh
from sam2.amg_point_grids import crop_boxes, layer_point_grids, point_grid
from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
from sam2.mask_rle import coco_rle, crop_masks_to_rles, rle_area, rle_to_mask


def test_point_grid_is_cell_centres_row_by_row():
    grid = point_grid(4)
    assert grid.shape == (16, 2)
    np.testing.assert_allclose(grid[:4], [[0.125, 0.125], [0.375, 0.125], [0.625, 0.125],
                                          [0.875, 0.125]])  # fmt: skip
    np.testing.assert_allclose(grid[4], [0.125, 0.375])
    assert [len(g) for g in layer_point_grids(16, 2, 2)] == [256, 64, 16]


def test_crop_boxes_cover_the_image_with_overlap():
    boxes, layers = crop_boxes((480, 640), 1, 512 / 1500)
    assert layers == [0, 1, 1, 1, 1]
    # overlap int(512/1500 * 480) = 163; crops ceil((163 + 640) / 2) = 402 wide, 322 high;
    # column by column, clipped to the image.
    assert boxes == [
        [0, 0, 640, 480],
        [0, 0, 402, 322],
        [0, 159, 402, 480],
        [239, 0, 640, 322],
        [239, 159, 640, 480],
    ]
    assert len(crop_boxes((480, 640), 2, 512 / 1500)[0]) == 1 + 4 + 16


def test_box_nms_drops_boxes_above_the_threshold_and_keeps_ties_in_order():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [20, 20, 30, 30], [21, 20, 30, 30],
                      [50, 50, 60, 60]], dtype=np.float32)  # fmt: skip
    scores = np.array([0.5, 0.9, 0.7, 0.7, 0.7])
    # 1 beats 0 (IoU 0.9); 2 and 3 tie, 2 comes first and drops 3 (IoU 0.9); 4 is alone.
    assert box_nms(boxes, scores, 0.7).tolist() == [1, 2, 4]
    assert box_nms(boxes, scores, 0.95).tolist() == [1, 2, 3, 4, 0]
    assert box_nms(boxes, scores, 1.0).tolist() == [1, 2, 3, 4, 0]
    iou_01 = 90 / 100  # exactly at the threshold: kept (only IoU *above* it suppresses)
    assert box_nms(boxes[:2], scores[:2], iou_01).tolist() == [1, 0]
    assert box_nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


def test_masks_to_boxes_are_inclusive_and_zero_for_empty_masks():
    masks = np.zeros((3, 6, 8), dtype=bool)
    masks[0, 1:4, 2:7] = True
    masks[2, 5, 7] = True
    assert masks_to_boxes(masks).tolist() == [[2, 1, 6, 3], [0, 0, 0, 0], [7, 5, 7, 5]]
    assert masks_to_boxes(np.zeros((0, 6, 8), dtype=bool)).shape == (0, 4)
    assert xyxy_to_xywh(np.array([2.0, 1.0, 6.0, 3.0])).tolist() == [2.0, 1.0, 4.0, 2.0]


def test_near_crop_edge_ignores_image_edges():
    crop = [100, 0, 300, 200]  # its left edge is inside the image, the others are image edges
    boxes = torch.tensor([[5, 50, 80, 120], [50, 50, 150, 199], [0, 0, 199, 199]])
    assert near_crop_edge(boxes, crop, [0, 0, 300, 200]).tolist() == [True, False, True]


@pytest.mark.parametrize("crop", [[0, 0, 13, 9], [0, 0, 7, 9], [3, 0, 10, 9], [2, 3, 11, 8]])
def test_rle_of_crops_matches_pycocotools_on_the_full_image(crop):
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = crop
    masks = rng.random((4, y1 - y0, x1 - x0)) > 0.5
    masks[1] = True  # runs that cross columns when the crop spans the full height
    masks[2] = False
    rles = crop_masks_to_rles(masks, crop, (9, 13))
    for mask, rle in zip(masks, rles, strict=True):
        full = np.zeros((9, 13), dtype=bool)
        full[y0:y1, x0:x1] = mask
        expected = coco_mask.encode(np.asfortranarray(full.astype(np.uint8)))
        assert coco_rle(rle)["counts"] == expected["counts"].decode()
        np.testing.assert_array_equal(rle_to_mask(rle), full)
        assert rle_area(rle) == full.sum()
        assert sum(rle["counts"]) == full.size


def test_generator_arguments_are_checked():
    with pytest.raises(ValueError, match="exactly one of points_per_side or point_grids"):
        SAM2AutomaticMaskGenerator(None, point_grids=[point_grid(4)])
    with pytest.raises(ValueError, match="unknown output_mode 'mask'"):
        SAM2AutomaticMaskGenerator(None, output_mode="mask")
    with pytest.raises(ValueError, match="crop_n_layers=1 needs 2"):
        SAM2AutomaticMaskGenerator(None, points_per_side=None, point_grids=[point_grid(4)],
                                   crop_n_layers=1)  # fmt: skip
