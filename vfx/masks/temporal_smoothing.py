"""Temporal smoothing of soft masks: chatter goes, moving edges neither lag nor ghost.

For every frame ``t`` the filter looks at the frames ``t - k .. t + k`` (``k =
window // 2``), moves each neighbour's mask onto frame ``t`` with the motion
between the frames, and combines the values per pixel with a robust, symmetric
(zero-phase) rule. Because the neighbours are aligned first, an edge that moves
is not averaged with where it was; because the rule is robust, a mask that
drops out or a blob that appears for a frame is outvoted, and an object that
really leaves is gone as soon as most of the window agrees.

Motion comes from DIS optical flow on downscaled frames. Per-pixel flow smears
across an object's outline, so by default each object's mask is moved by a
similarity transform fitted (RANSAC) to the flow inside the object, which keeps
the outline crisp. Where the trustworthy flow shows something else moving over
the object (an occluder), that pixel follows the flow instead, so the mask is
not dragged over the occluder. Where no motion can be trusted at all (failed
checks, matches outside the image), a neighbour's vote is replaced by the vote
from the mirrored neighbour, or else by the current frame's own value.

Hysteresis then decides presence: a region of alpha >= ``low`` survives only if
it reaches ``high`` somewhere; survivors keep their soft values.

All the work for an object happens inside the boxes that its masks can reach in
the window, which keeps the cost per object proportional to its size. Masks
wider than ``work_width`` are smoothed at a resolution reduced by an integer
factor and scaled back up inside those boxes only.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.masks.optical_flow import (
    Correspondence,
    FlowEstimator,
    area_downscale,
    fit_object_motion,
    flow_at,
    flow_factor,
    grey_low_res,
    model_unexplained,
    reach_in_box,
    smoothed_grey,
    upsample_box,
    upsample_cells,
)
from vfx.masks.settings import SmoothSettings
from vfx.masks.support_regions import Box, merge_boxes, support_regions
from vfx.masks.window_rules import combine, hysteresis


@dataclass
class _Entry:
    """One frame in the window: its masks, support boxes and flows to its neighbours."""

    index: int
    probs: np.ndarray  # [N, H, W] float32
    boxes: list[list[Box]]  # per object: boxes of the separate parts of alpha >= low
    grey: np.ndarray | None  # [h, w] uint8 low-res grey frame, None without motion
    soft_grey: np.ndarray | None  # [h, w] float32 blurred grey, for appearance checks
    to_next: Correspondence | None = None
    to_prev: Correspondence | None = None


class TemporalSmoother:
    """Streaming temporal smoothing with a look-ahead of ``window // 2`` frames.

    Push each frame's masks (and, for motion compensation, the frame); each call
    returns the smoothed masks that became ready, in frame order. ``flush`` at
    the end returns the rest. The results equal :func:`smooth` on the whole
    sequence exactly.

    Example::

        smoother = TemporalSmoother({"window": 5})
        for probs, frame in zip(mask_stream, frame_stream):
            for alpha in smoother.push(probs, frame):
                use(alpha)
        for alpha in smoother.flush():
            use(alpha)
    """

    def __init__(self, settings: SmoothSettings | dict[str, Any] | None = None) -> None:
        self.settings = (
            settings if isinstance(settings, SmoothSettings) else SmoothSettings.from_dict(settings)
        )
        self._reach = self.settings.window // 2
        self._flow = FlowEstimator(self.settings.flow_preset)
        self._factor = 1  # work-res pixels per flow cell
        self._scale = 1  # full-res pixels per work-res pixel
        self._entries: deque[_Entry] = deque()
        self._pushed = 0
        self._emitted = 0
        self._shape: tuple[int, ...] | None = None

    @property
    def lookahead(self) -> int:
        """Frames pushed before the first result comes out, minus one."""
        return self._reach

    def push(self, probs: np.ndarray, frame: np.ndarray | None = None) -> list[np.ndarray]:
        """Add the next frame's masks; return the smoothed masks that are now ready.

        Args:
            probs: ``[H, W]`` (one object) or ``[N, H, W]`` (N objects) float32 in 0..1.
            frame: ``[H, W, 3]`` uint8 RGB frame for motion compensation, or ``None``.

        Returns:
            A list of arrays shaped like ``probs`` (possibly empty).
        """
        stack = np.asarray(probs, dtype=np.float32)
        if self._shape is None:
            self._shape = stack.shape
        if stack.shape != self._shape or stack.ndim not in (2, 3):
            raise VfxError(
                f"masks pushed to the smoother changed shape from {self._shape} to "
                f"{stack.shape}; give every frame the same objects and size"
            )
        if stack.ndim == 2:
            stack = stack[None]  # [H, W] -> [1, H, W]
        full_size = stack.shape[1:]
        self._scale = work_scale(stack.shape[2], self.settings.work_width)
        if self._scale > 1:
            # N x [h, w] -> [N, h, w] at the working resolution.
            stack = np.stack([area_downscale(plane, self._scale) for plane in stack])
        self._factor = flow_factor(stack.shape[2], self.settings.flow_width)
        grey = None
        if self.settings.motion and self._reach > 0 and frame is not None:
            if frame.shape[:2] != full_size or frame.ndim != 3:
                raise VfxError(
                    f"frame of shape {frame.shape} does not match masks of size "
                    f"{full_size}; pass [H, W, 3] uint8 RGB frames"
                )
            # The flow grid of the working resolution, straight from the full frame.
            grey = grey_low_res(frame, self._factor * self._scale)
        low = self.settings.low
        whole = [(0, stack.shape[1], 0, stack.shape[2])]
        boxes = [support_regions(plane, low, self._factor) if low > 0 else whole for plane in stack]
        soft_grey = None if grey is None else smoothed_grey(grey)
        entry = _Entry(self._pushed, stack, boxes, grey, soft_grey)
        if self._entries and grey is not None and self._entries[-1].grey is not None:
            previous = self._entries[-1]
            previous.to_next, entry.to_prev = self._flow.pair(
                previous.grey, grey, self.settings.occlusion
            )
        self._entries.append(entry)
        self._pushed += 1
        ready = []
        while self._emitted + self._reach < self._pushed:
            ready.append(self._emit())
        return ready

    def flush(self) -> list[np.ndarray]:
        """Return the remaining smoothed masks and reset the smoother for a new sequence."""
        ready = []
        while self._emitted < self._pushed:
            ready.append(self._emit())
        self._entries.clear()
        self._pushed = self._emitted = 0
        self._shape = None
        # DIS keeps buffers between calls; a fresh one makes every sequence reproducible.
        self._flow = FlowEstimator(self.settings.flow_preset)
        return ready

    def _entry(self, index: int) -> _Entry:
        return self._entries[index - self._entries[0].index]

    def _correspondences(self, target: int, last: int) -> dict[int, Correspondence | None]:
        """Chained flows from frame ``target`` to each neighbour (``None`` without motion)."""
        result: dict[int, Correspondence | None] = {}
        for step, stop in (
            (1, min(last, target + self._reach)),
            (-1, max(0, target - self._reach)),
        ):
            corr: Correspondence | None = None
            broken = False  # a frame without flow ends motion compensation on this side
            for index in range(target, stop, step):
                entry = self._entry(index)
                hop = entry.to_next if step > 0 else entry.to_prev
                broken = broken or hop is None
                if not broken:
                    corr = hop if corr is None else self._flow.chain(corr, hop)
                result[index + step] = None if broken else corr
        return result

    def _emit(self) -> np.ndarray:
        target = self._emitted
        last = self._pushed - 1
        current = self._entry(target)
        corrs = self._correspondences(target, last)
        tolerance = self.settings.appearance_tolerance
        corrs = {
            index: None
            if corr is None
            else self._flow.appearance_check(
                corr, current.soft_grey, self._entry(index).soft_grey, tolerance
            )
            for index, corr in corrs.items()
        }
        window = [self._entry(i) for i in sorted(corrs)]
        out = np.zeros(current.probs.shape, np.float32)
        height, width = out.shape[1:]
        merged: list[list[Box]] = []
        for obj in range(out.shape[0]):
            regions = []
            for box in current.boxes[obj] + [b for entry in window for b in entry.boxes[obj]]:
                reach = max(
                    (reach_in_box(c, self._factor, box) for c in corrs.values() if c is not None),
                    default=0.0,
                )
                margin = math.ceil(reach) + 1
                regions.append(
                    (
                        max(0, box[0] - margin),
                        min(height, box[1] + margin),
                        max(0, box[2] - margin),
                        min(width, box[3] + margin),
                    )
                )
            models = self._object_models(current, obj, corrs, regions) if regions else {}
            merged.append(merge_boxes(regions))
            for box in merged[-1]:
                out[obj, box[0] : box[1], box[2] : box[3]] = self._smooth_box(
                    obj, box, current, window, corrs, models
                )
        if self._scale > 1:
            out = self._enlarge(out, merged)
        self._emitted += 1
        while self._entries and self._entries[0].index < self._emitted - self._reach:
            self._entries.popleft()
        return out[0] if len(self._shape or ()) == 2 else out

    def _enlarge(self, out: np.ndarray, boxes: list[list[Box]]) -> np.ndarray:
        """Work-res ``[N, h, w]`` results -> full-res ``[N, H, W]``, scaled up inside ``boxes``.

        Bicubic upscaling of each object's boxes (outside them every value is
        0); values that it brings below ``low`` become 0, as hysteresis would.
        """
        scale = self._scale
        # THRESH_TOZERO keeps values above its threshold: the float32 just below ``low``.
        below = float(np.nextafter(np.float32(self.settings.low), np.float32(-1.0)))
        height, width = (self._shape or ())[-2:]
        full = np.zeros((out.shape[0], height, width), np.float32)
        for obj, obj_boxes in enumerate(boxes):
            for y0, y1, x0, x1 in obj_boxes:
                crop = out[obj, y0:y1, x0:x1]
                if not crop.any():
                    continue
                size = ((x1 - x0) * scale, (y1 - y0) * scale)
                # Cubic keeps edges crisper than linear; its overshoot is clipped.
                big = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
                np.clip(big, 0.0, 1.0, out=big)
                cv2.threshold(big, below, 0.0, cv2.THRESH_TOZERO, dst=big)
                top, left = y0 * scale, x0 * scale
                rows, cols = min(big.shape[0], height - top), min(big.shape[1], width - left)
                full[obj, top : top + rows, left : left + cols] = big[:rows, :cols]
        return full

    def _object_models(
        self,
        current: _Entry,
        obj: int,
        corrs: dict[int, Correspondence | None],
        regions: list[Box],
    ) -> dict[int, tuple[np.ndarray, np.ndarray] | None]:
        """Per neighbour: object ``obj``'s fitted motion and the cells it does not explain.

        Only the flow cells under ``regions`` (work-res boxes) are examined.
        """
        if self.settings.motion_model != "object":
            return {}
        f = self._factor
        cells = (
            min(b[0] for b in regions) // f,
            -(-max(b[1] for b in regions) // f),
            min(b[2] for b in regions) // f,
            -(-max(b[3] for b in regions) // f),
        )
        core = current.probs[obj, f // 2 :: f, f // 2 :: f] >= 0.5
        tolerance = self.settings.appearance_tolerance
        models: dict[int, tuple[np.ndarray, np.ndarray] | None] = {}
        for index, corr in corrs.items():
            models[index] = None
            if corr is None:
                continue
            there = self._entry(index).soft_grey
            matrix = fit_object_motion(corr, core, f, current.soft_grey, there, tolerance)
            if matrix is not None:
                unexplained = model_unexplained(
                    matrix, f, current.soft_grey, there, tolerance, cells
                )
                models[index] = (matrix, unexplained)
        return models

    def _smooth_box(
        self,
        obj: int,
        box: Box,
        current: _Entry,
        window: list[_Entry],
        corrs: dict[int, Correspondence | None],
        models: dict[int, tuple[np.ndarray, np.ndarray] | None],
    ) -> np.ndarray:
        """Smoothed ``[h, w]`` values of object ``obj`` inside ``box`` of the current frame."""
        target = current.index
        y0, y1, x0, x1 = box
        centre = current.probs[obj, y0:y1, x0:x1]
        aligned = {
            entry.index - target: self._aligned(
                entry.probs[obj], corrs[entry.index], box, models.get(entry.index), centre
            )
            for entry in window
        }
        for entry in window:
            if corrs[entry.index] is None:
                continue  # no motion compensation for this neighbour: taken as it is
            offset = entry.index - target
            aligned[offset] = self._better_of_shift(
                aligned[offset], entry.probs[obj], current.probs[obj], box, centre
            )
        values, offsets = [centre], [0]
        for offset, (value, valid) in aligned.items():
            if valid is not None:
                value = np.where(valid, value, self._fallback(aligned.get(-offset), centre))
            values.append(value)
            offsets.append(offset)
        merged = combine(values, offsets, self.settings.mode)
        return hysteresis(merged, self.settings.low, self.settings.high)

    def _aligned(
        self,
        plane: np.ndarray,
        corr: Correspondence | None,
        box: Box,
        model: tuple[np.ndarray, np.ndarray] | None,
        centre: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """A neighbour's ``[H, W]`` mask resampled onto the current frame inside ``box``.

        Follows the object's ``model`` when there is one, else the dense flow;
        without any motion the mask is taken as it is.

        Returns the ``[h, w]`` values and their ``[h, w]`` bool validity (``None``
        when every value is usable).
        """
        y0, y1, x0, x1 = box
        if corr is None:
            return plane[y0:y1, x0:x1], None
        if model is not None:
            return self._follow_model(plane, corr, box, model, centre)
        flow, valid = upsample_box(corr, self._factor, box)
        map_x = flow[..., 0] + np.arange(x0, x1, dtype=np.float32)[None, :]
        map_y = flow[..., 1] + np.arange(y0, y1, dtype=np.float32)[:, None]
        warped = cv2.remap(plane, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return warped, valid

    def _follow_model(
        self,
        plane: np.ndarray,
        corr: Correspondence,
        box: Box,
        model: tuple[np.ndarray, np.ndarray],
        centre: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """A neighbour's mask moved by the object's motion, corrected where it is not the object.

        ``model`` is the ``[2, 3]`` similarity to the neighbour and the low-res
        cells it does not explain. Where following it would carry the object
        onto such a cell (an occluder passing in front), the dense flow, with
        its validity, tells where the pixel went instead; where it would lose
        a point of the object that the flow loses too (hidden in the
        neighbour), the vote is not trusted.
        """
        y0, y1, x0, x1 = box
        matrix, unexplained = model
        # Output pixel (u, v) of the box is full-res (u + x0, v + y0).
        shifted = matrix.copy()
        shifted[:, 2] += matrix[:, :2] @ np.array([x0, y0], np.float64)
        warped = cv2.warpAffine(
            plane,
            shifted,
            (x1 - x0, y1 - y0),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        f = self._factor
        if not unexplained[y0 // f : -(-y1 // f), x0 // f : -(-x1 // f)].any():
            return warped, None
        lost = upsample_cells(unexplained & (corr.valid <= 0.5), f, box)
        hidden = lost & (warped < 0.5) & (centre >= 0.5)
        dragged = upsample_cells(unexplained, f, box) & (warped >= 0.5)
        if not dragged.any():
            return warped, (~hidden if hidden.any() else None)
        rows, cols = np.nonzero(dragged)
        xs = cols.astype(np.float32) + x0
        ys = rows.astype(np.float32) + y0
        flow, valid_at = flow_at(corr, f, xs, ys)
        # Maps of shape [K, 1]: the dragged pixels, sampled through the flow.
        dense = cv2.remap(
            plane,
            (xs + flow[:, 0])[:, None],
            (ys + flow[:, 1])[:, None],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        warped[rows, cols] = dense[:, 0]
        valid = ~hidden
        valid[rows, cols] = valid_at
        return warped, valid

    @staticmethod
    def _better_of_shift(
        candidate: tuple[np.ndarray, np.ndarray | None],
        plane: np.ndarray,
        here: np.ndarray,
        box: Box,
        centre: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The aligned vote, or the neighbour moved by the shift of its mask's centroid.

        Image flow says little inside flat, textureless objects, so a fast one can
        be misaligned. When the aligned ``[h, w]`` vote agrees poorly with the
        current ``[h, w]`` ``centre``, the neighbour's ``[H, W]`` ``plane`` is also
        shifted by the centroid offset to the current ``[H, W]`` mask ``here``, and
        the shifted vote is returned when it agrees with the current mask closely.
        """
        value = candidate[0]
        mine = centre >= 0.5
        agreement = _iou(value >= 0.5, mine)
        if agreement >= SHIFT_CHECK_IOU:
            return candidate
        y0, y1, x0, x1 = box
        # Centroids inside the box: the box offset cancels in their difference.
        there_m = cv2.moments((plane[y0:y1, x0:x1] >= 0.5).view(np.uint8), binaryImage=True)
        here_m = cv2.moments((here[y0:y1, x0:x1] >= 0.5).view(np.uint8), binaryImage=True)
        if there_m["m00"] == 0 or here_m["m00"] == 0:
            return candidate
        dx = there_m["m10"] / there_m["m00"] - here_m["m10"] / here_m["m00"]
        dy = there_m["m01"] / there_m["m00"] - here_m["m01"] / here_m["m00"]
        # Inverse map: output pixel (u, v) of the box samples plane at (u + x0 + dx, v + y0 + dy).
        matrix = np.array([[1.0, 0.0, x0 + dx], [0.0, 1.0, y0 + dy]], np.float64)
        shifted = cv2.warpAffine(
            plane,
            matrix,
            (x1 - x0, y1 - y0),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        # Only a shift that makes the neighbour match the current mask closely is taken:
        # a current mask that is itself wrong (a dropout, a blob) must still be outvoted.
        if _iou(shifted >= 0.5, mine) >= SHIFT_CHECK_IOU:
            return shifted, None
        return candidate

    @staticmethod
    def _fallback(
        mirror: tuple[np.ndarray, np.ndarray | None] | None, centre: np.ndarray
    ) -> np.ndarray:
        """What replaces an untrustworthy vote: the vote from the opposite side of the window
        where that one is trustworthy, else the current frame's own value.

        Taking the mirrored vote keeps the window symmetric and still outvotes a
        one-frame dropout next to an occlusion; the current value is the last resort.
        """
        if mirror is None:
            return centre
        value, valid = mirror
        return value if valid is None else np.where(valid, value, centre)


SHIFT_CHECK_IOU = 0.95
"""IoU with the current mask below which a vote counts as misaligned and a shift must reach."""


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two same-shape bool arrays (1.0 when both are empty)."""
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def work_scale(width: int, work_width: int) -> int:
    """Integer factor that brings masks ``width`` wide to at most ``work_width`` (0: no limit)."""
    return 1 if work_width <= 0 else max(1, -(-width // work_width))


def smooth(probs: np.ndarray, frames: np.ndarray | None = None, **settings: Any) -> np.ndarray:
    """Smooth a sequence of one object's soft masks over time.

    Args:
        probs: ``[T, H, W]`` float32 in 0..1.
        frames: ``[T, H, W, 3]`` uint8 RGB frames for motion compensation, or ``None``.
        **settings: :class:`SmoothSettings` fields; omitted ones take the preset defaults.

    Returns:
        ``[T, H, W]`` float32 in 0..1.
    """
    stack = np.asarray(probs, dtype=np.float32)
    if stack.ndim != 3:
        raise VfxError(f"smooth expects [T, H, W] masks, got shape {stack.shape}")
    if frames is not None and (len(frames) != len(stack)):
        raise VfxError(f"smooth got {len(frames)} frames for {len(stack)} masks; pass one per mask")
    smoother = TemporalSmoother(settings)
    out = []
    for t, plane in enumerate(stack):
        out.extend(smoother.push(plane, None if frames is None else frames[t]))
    out.extend(smoother.flush())
    return np.stack(out) if out else np.zeros_like(stack)
