"""Quality measures for mask sequences: region J, boundary F, and temporal flicker.

* **J** (region similarity) is the IoU of the masks binarised at 0.5.
* **F** (boundary accuracy) is the F-measure of boundary pixels matched within a
  tolerance, as in the DAVIS benchmark (tolerance 0.008 of the image diagonal
  unless given).
* **dtSSD** (video matting): per frame ``100 * sqrt(mean(((a_t - a_{t-1}) -
  (g_t - g_{t-1}))**2))``, averaged over frames; it is 0 when the prediction
  changes exactly as the ground truth does, whatever its static error.
* **IoU change**: the mean absolute difference between the prediction's and
  the ground truth's consecutive-frame IoU; without ground truth,
  :func:`consecutive_iou` alone measures how much a mask jumps.

Sequence functions take ``[T, H, W]`` arrays (floats in 0..1 or bools) and return
a per-frame ``[T]`` (or ``[T - 1]``) float64 array; frame functions take ``[H, W]``.
A frame where both masks are empty scores 1 for J and F.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vfx.masks.morphology import disc_kernel

THRESHOLD = 0.5
DAVIS_TOLERANCE = 0.008


def binary(mask: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """``mask >= threshold`` as bool (bool input is returned as it is)."""
    array = np.asarray(mask)
    return array if array.dtype == np.bool_ else array >= threshold


def frame_j(pred: np.ndarray, gt: np.ndarray) -> float:
    """IoU of two ``[H, W]`` masks binarised at 0.5; 1.0 when both are empty."""
    a, b = binary(pred), binary(gt)
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def boundary(mask: np.ndarray) -> np.ndarray:
    """``[H, W]`` bool: pixels of a bool mask with a 4-neighbour outside it (border: inside)."""
    inside = mask.view(np.uint8)
    eroded = cv2.erode(
        inside, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)), borderType=cv2.BORDER_REPLICATE
    )
    return mask & (eroded == 0)


def default_tolerance(height: int, width: int) -> int:
    """DAVIS boundary tolerance in pixels: 0.008 of the image diagonal, rounded up."""
    return max(1, math.ceil(DAVIS_TOLERANCE * math.hypot(height, width)))


def frame_f(pred: np.ndarray, gt: np.ndarray, tolerance: int | None = None) -> float:
    """Boundary F-measure of two ``[H, W]`` masks.

    A predicted boundary pixel is correct if a ground-truth boundary pixel lies
    within ``tolerance`` pixels (a disc), and vice versa for recall.

    Args:
        tolerance: in pixels; ``None`` uses :func:`default_tolerance`.

    Returns:
        F in 0..1; 1.0 when neither mask has a boundary, 0.0 when only one has.
    """
    a, b = boundary(binary(pred)), boundary(binary(gt))
    tol = default_tolerance(*a.shape) if tolerance is None else tolerance
    count_a, count_b = np.count_nonzero(a), np.count_nonzero(b)
    if count_a == 0 and count_b == 0:
        return 1.0
    if count_a == 0 or count_b == 0:
        return 0.0
    kernel = disc_kernel(tol)
    near_b = cv2.dilate(b.view(np.uint8), kernel) > 0
    near_a = cv2.dilate(a.view(np.uint8), kernel) > 0
    precision = np.count_nonzero(a & near_b) / count_a
    recall = np.count_nonzero(b & near_a) / count_b
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def region_j(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame J of ``[T, H, W]`` sequences -> ``[T]``."""
    return np.array([frame_j(p, g) for p, g in zip(pred, gt, strict=True)])


def boundary_f(pred: np.ndarray, gt: np.ndarray, tolerance: int | None = None) -> np.ndarray:
    """Per-frame boundary F of ``[T, H, W]`` sequences -> ``[T]``."""
    return np.array([frame_f(p, g, tolerance) for p, g in zip(pred, gt, strict=True)])


def dtssd(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame dtSSD of ``[T, H, W]`` soft sequences -> ``[T - 1]`` (frames 1..T-1)."""
    a = np.asarray(pred, dtype=np.float32)
    g = np.asarray(gt, dtype=np.float32)
    if a.shape != g.shape:
        raise ValueError(f"prediction {a.shape} and ground truth {g.shape} differ in shape")
    error = np.diff(a, axis=0) - np.diff(g, axis=0)  # [T-1, H, W]
    return 100.0 * np.sqrt(np.mean(np.square(error, dtype=np.float64), axis=(1, 2)))


def consecutive_iou(masks: np.ndarray) -> np.ndarray:
    """IoU of each frame with the previous one, ``[T, H, W]`` -> ``[T - 1]``."""
    return np.array([frame_j(masks[t], masks[t - 1]) for t in range(1, len(masks))])


def iou_change(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``|consecutive IoU of pred - consecutive IoU of gt|`` per frame -> ``[T - 1]``."""
    return np.abs(consecutive_iou(pred) - consecutive_iou(gt))


def summary(pred: np.ndarray, gt: np.ndarray, tolerance: int | None = None) -> dict[str, float]:
    """Means over the sequence: ``{"J", "F", "dtSSD", "iou_change"}`` (J and F as 0..1)."""
    return {
        "J": float(region_j(pred, gt).mean()),
        "F": float(boundary_f(pred, gt, tolerance).mean()),
        "dtSSD": float(dtssd(pred, gt).mean()) if len(pred) > 1 else 0.0,
        "iou_change": float(iou_change(pred, gt).mean()) if len(pred) > 1 else 0.0,
    }


def worst_frame_j(pred: np.ndarray, gt: np.ndarray) -> tuple[float, int, int]:
    """Lowest J over the frames and objects of ``[T, N, H, W]`` sequences, and where it is.

    Returns:
        ``(J, frame, object)``; ``(1.0, -1, -1)`` when every frame matches exactly.
    """
    worst = (1.0, -1, -1)
    for k in range(gt.shape[1]):
        per_frame = region_j(pred[:, k], gt[:, k])
        t = int(np.argmin(per_frame))
        worst = min(worst, (float(per_frame[t]), t, k))
    return worst


def claimed_from_others(pred: np.ndarray, gt: np.ndarray) -> int:
    """Pixels where an object of ``pred`` (at 0.5) is on while another object's ``gt`` holds them.

    Both are ``[T, N, H, W]``; with visible-only ground truth, this counts the
    pixels of occluders that the objects behind them claim.
    """
    truth = binary(gt)
    claimed = 0
    for k in range(truth.shape[1]):
        others = np.delete(truth, k, axis=1).any(axis=1)  # [T, H, W]
        claimed += int(np.count_nonzero(binary(pred[:, k]) & others))
    return claimed
