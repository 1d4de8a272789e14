"""Clips with exact, visible-only masks for the do-no-harm tests of temporal smoothing.

Every maker returns ``frames`` ``[T, H, W, 3]`` uint8 and ``masks`` ``[T, N, H, W]``
bool, the masks holding only each object's visible pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from vfx.synthetic import scene_frames


def scene_clip(
    width: int, height: int, frames: int, objects: int, background, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The demo's kind of scene (:func:`vfx.synthetic.scene_frames`): flat shapes, later on top."""
    scene = list(scene_frames(width, height, frames, objects, background, seed))
    return np.stack([s.rgb for s in scene]), np.stack([s.masks for s in scene])


def textured_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """``[H, W, 3]`` float32 smooth colour noise around 0 with features of ``cell`` pixels."""
    small = rng.standard_normal((max(2, height // cell), max(2, width // cell), 3))
    return cv2.resize(small.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)


def big_subject_clip(
    width: int, height: int, frames: int, share: float = 0.6, step: tuple[int, int] = (6, 3)
) -> tuple[np.ndarray, np.ndarray]:
    """A textured rounded rectangle over ``share`` of the frame, moving ``step`` px a frame."""
    rng = np.random.default_rng(3)
    background = 90 + 30 * textured_noise(rng, height, width, max(4, width // 40))
    texture = 170 + 40 * textured_noise(rng, 2 * height, 2 * width, max(4, width // 60))
    side = np.sqrt(share)
    box_w, box_h = int(width * side), int(height * side)
    out_rgb = np.empty((frames, height, width, 3), np.uint8)
    masks = np.zeros((frames, 1, height, width), bool)
    for t in range(frames):
        x0 = (width - box_w) // 2 + step[0] * (t - frames // 2)
        y0 = (height - box_h) // 2 + step[1] * (t - frames // 2)
        shape = np.zeros((height, width), np.uint8)
        corner = box_h // 8
        cv2.rectangle(shape, (x0 + corner, y0), (x0 + box_w - corner, y0 + box_h), 1, -1)
        cv2.rectangle(shape, (x0, y0 + corner), (x0 + box_w, y0 + box_h - corner), 1, -1)
        for cx in (x0 + corner, x0 + box_w - corner):
            for cy in (y0 + corner, y0 + box_h - corner):
                cv2.circle(shape, (cx, cy), corner, 1, -1)
        on = shape > 0
        image = background.copy()
        moved = texture[height - y0 : 2 * height - y0, width - x0 : 2 * width - x0]
        image[on] = moved[on]
        out_rgb[t] = np.clip(image, 0, 255).astype(np.uint8)
        masks[t, 0] = on
    return out_rgb, masks


def tiny_clip(size: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``size`` x ``size`` clip: a bright square of about a third of the side, 1 px per frame."""
    rng = np.random.default_rng(1)
    rgb = np.empty((frames, size, size, 3), np.uint8)
    masks = np.zeros((frames, 1, size, size), bool)
    side = max(2, size // 3)
    for t in range(frames):
        rgb[t] = rng.integers(20, 70, (size, size, 3))
        x = min(size - side, 1 + t)
        masks[t, 0, size // 3 : size // 3 + side, x : x + side] = True
        rgb[t][masks[t, 0]] = (230, 210, 40)
    return rgb, masks


def worst_iou(out: np.ndarray, exact: np.ndarray) -> tuple[float, int, int]:
    """Lowest IoU (at 0.5) over frames and objects of ``[T, N, H, W]`` arrays, where it is.

    Returns ``(iou, frame, object)``.
    """
    worst = (1.0, -1, -1)
    for t in range(exact.shape[0]):
        for k in range(exact.shape[1]):
            mine, truth = out[t, k] >= 0.5, exact[t, k]
            union = np.count_nonzero(mine | truth)
            iou = 1.0 if union == 0 else np.count_nonzero(mine & truth) / union
            worst = min(worst, (iou, t, k))
    return worst


def claimed_from_others(out: np.ndarray, exact: np.ndarray) -> int:
    """Pixels of ``[T, N, H, W]`` ``out`` (at 0.5) that another object's exact mask holds."""
    claimed = 0
    for k in range(exact.shape[1]):
        others = np.delete(exact, k, axis=1).any(axis=1)  # [T, H, W]
        claimed += int(np.count_nonzero((out[:, k] >= 0.5) & others))
    return claimed
