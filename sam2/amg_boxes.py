"""Box arithmetic for the automatic mask generator: boxes of masks, greedy box NMS, crop edges.

Boxes are ``[x0, y0, x1, y1]`` with *inclusive* pixel ends (a one-pixel mask has a box of zero
area), as the official generator reports them before converting to XYWH.
"""

from __future__ import annotations

import numpy as np
import torch

NMS_BLOCK = 512  # IoU rows computed at once by box_nms (memory: NMS_BLOCK x N float32)


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes of ``[N, H, W]`` bool masks -> ``[N, 4]`` int64 inclusive xyxy; an empty mask
    gets ``[0, 0, 0, 0]``."""
    height, width = masks.shape[1:]
    rows: np.ndarray = np.any(masks, axis=2)  # [N, H]: rows holding any mask pixel
    cols: np.ndarray = np.any(masks, axis=1)  # [N, W]
    boxes = np.stack(
        [
            cols.argmax(axis=1),
            rows.argmax(axis=1),
            width - 1 - cols[:, ::-1].argmax(axis=1),
            height - 1 - rows[:, ::-1].argmax(axis=1),
        ],
        axis=1,
    ).astype(np.int64)  # [N, 4]
    return boxes * np.any(rows, axis=1, keepdims=True)


def box_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression: indices of the kept boxes, highest score first.

    ``boxes [N, 4]`` xyxy, ``scores [N]``. A box is dropped when its IoU with a kept,
    higher-ranked box is *above* ``iou_threshold``; equal scores keep their input order. Areas
    and IoU are float32 ``(x1 - x0) * (y1 - y0)`` (zero-area boxes never suppress anything).
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    if len(order) == 0 or iou_threshold >= 1.0:
        return order  # an IoU never exceeds 1: nothing can be suppressed
    ranked = np.asarray(boxes, dtype=np.float32)[order]  # [N, 4] best first
    x0, y0, x1, y1 = ranked.T
    areas = (x1 - x0) * (y1 - y0)
    count = len(order)
    dropped = np.zeros(count, dtype=bool)
    for start in range(0, count, NMS_BLOCK):
        stop = min(start + NMS_BLOCK, count)
        # IoU of each box in this block with every box ranked after the block's start.
        width = np.minimum(x1[start:stop, None], x1[None, start:]) - np.maximum(
            x0[start:stop, None], x0[None, start:]
        )
        height = np.minimum(y1[start:stop, None], y1[None, start:]) - np.maximum(
            y0[start:stop, None], y0[None, start:]
        )
        inter = np.maximum(width, 0) * np.maximum(height, 0)  # [block, N - start]
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = inter / (areas[start:stop, None] + areas[None, start:] - inter)
        over = iou > np.float64(iou_threshold)  # float32 IoU against the threshold as a double
        for row, index in enumerate(range(start, stop)):
            if not dropped[index]:
                dropped[index + 1 :] |= over[row, index + 1 - start :]
    return order[~dropped]


def near_crop_edge(
    boxes: torch.Tensor, crop_box: list[int], image_box: list[int], tolerance: float = 20.0
) -> torch.Tensor:
    """``[N]`` bool: boxes (``[N, 4]`` xyxy in crop pixels) with a side within ``tolerance`` of a
    crop edge that is not also an image edge (such masks are probably cut by the crop)."""
    offset = torch.tensor([crop_box[0], crop_box[1]] * 2, device=boxes.device)
    image_boxes = (boxes + offset).float()  # [N, 4] in image pixels
    crop = torch.tensor(crop_box, dtype=torch.float, device=boxes.device)
    image = torch.tensor(image_box, dtype=torch.float, device=boxes.device)
    at_crop = (image_boxes - crop).abs() <= tolerance
    at_image = (image_boxes - image).abs() <= tolerance
    return (at_crop & ~at_image).any(dim=1)


def xyxy_to_xywh(box: np.ndarray) -> np.ndarray:
    """``[..., 4]`` xyxy -> xywh (width and height are ``x1 - x0``, ``y1 - y0``)."""
    box = np.array(box, copy=True)
    box[..., 2:] -= box[..., :2]
    return box
