"""Temporal smoothing of soft masks that does no harm: chatter goes, correct masks stay.

For every frame ``t`` the filter looks at ``window - 1`` other frames (``t - k
.. t + k`` with ``k = window // 2``; near the start and the end of the video the
window slides so that it keeps as many frames, instead of shrinking to one
side), moves each neighbour's mask onto frame ``t`` with the motion between the
frames, and combines the values per pixel (:mod:`vfx.masks.window_rules`).

What that combination may change is limited by
:mod:`vfx.masks.confident_pixels`: uncertain pixels take it freely, confident
pixels near the outline only soften (they stay on their side of 0.5), and
confident pixels elsewhere keep their raw value, unless most of the window's
trustworthy votes contradict them over a solid area (a single-frame dropout, a
spurious blob). A mask never grows where another object of the same stack
holds the pixel with confidence, so objects that touch are smoothed jointly and
an occluded object is not filled in behind its occluder.

A neighbour's vote is trusted only where the motion that moved it also
explains the image: its frame, moved the same way, must look like the current
frame there (within ``appearance_tolerance`` levels in every colour channel,
with a pixel of slack). Where the motion failed (low texture, fast or large objects, frames too
small for optical flow), or where something else is seen now (an occluder, the
background an object left), the vote is replaced by the current value: no
change rather than an unaligned vote.

Motion comes from DIS optical flow on downscaled frames. Per-pixel flow smears
across an object's outline, so by default each object's mask is moved by a
similarity transform fitted (RANSAC) to the flow inside the object, which keeps
the outline crisp; where that motion does not explain what is seen (an
occluder), the pixel follows the dense flow instead.

Hysteresis then decides presence: a region of alpha >= ``low`` survives only if
it reaches ``high`` somewhere; survivors keep their soft values.

All the work for an object happens inside the boxes that its masks can reach in
the window, which keeps the cost per object proportional to its size. Masks
wider than ``work_width`` are smoothed at a resolution reduced by an integer
factor; the proposed values are scaled back up inside those boxes and the rules
above are applied at full resolution, against the full-resolution raw masks.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.masks.confident_pixels import guard, overturned, votes_needed
from vfx.masks.optical_flow import (
    Correspondence,
    FlowEstimator,
    area_downscale,
    fine_colour,
    fit_object_motion,
    flow_at,
    flow_factor,
    flow_possible,
    flow_range_in_box,
    grey_low_res,
    looks_alike,
    model_unexplained,
    sample_points,
    smoothed_grey,
    upsample_box,
    upsample_cells,
)
from vfx.masks.settings import SmoothSettings
from vfx.masks.support_regions import Box, merge_boxes, support_regions
from vfx.masks.window_rules import combine, hysteresis

EDGE_BAND = 1
"""Confident pixels this close (working-resolution pixels) to an outline may soften."""
FLOW_MARGIN = 0.18
"""Margin around the objects' boxes in which the flow is estimated, a share of the flow
grid's shorter side (for motion over the window and for context)."""
FLOW_CROP_SHARE = 0.7
"""The flow is estimated on the whole grid when the objects' part would cover more than this."""


@dataclass
class _Entry:
    """One frame in the window: its masks, support boxes, images and flows to its neighbours."""

    index: int
    probs: np.ndarray  # [N, h, w] float32 at the working resolution
    raw: np.ndarray | None  # [N, H, W] float32 at full resolution, until the frame is emitted
    boxes: list[list[Box]]  # per object: boxes of the separate parts of alpha >= low
    grey: np.ndarray | None  # [h', w'] uint8 flow-grid grey frame, None without flow
    soft_grey: np.ndarray | None  # [h', w'] float32 blurred grey, for appearance checks
    colour: np.ndarray | None  # [h, w, 3] uint8 blurred frame at the working resolution
    to_next: Correspondence | None = None
    to_prev: Correspondence | None = None


class TemporalSmoother:
    """Streaming temporal smoothing with a look-ahead of ``window // 2`` frames.

    Push each frame's masks (and, for motion compensation, the frame); each call
    returns the smoothed masks that became ready, in frame order. The first
    result comes once ``window`` frames are in (the first frames' windows slide
    forward), then one per push; ``flush`` at the end returns the rest. The
    results equal :func:`smooth` on the whole sequence exactly.

    The objects of one ``[N, H, W]`` stack are smoothed jointly: no object's
    mask grows onto pixels that another one holds with confidence.

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
        self._span = 2 * self._reach  # other frames in a full window
        self._flow = FlowEstimator(self.settings.flow_preset)
        self._factor = 1  # work-res pixels per flow cell
        self._scale = 1  # full-res pixels per work-res pixel
        self._entries: deque[_Entry] = deque()
        self._pushed = 0
        self._emitted = 0
        self._shape: tuple[int, ...] | None = None

    @property
    def lookahead(self) -> int:
        """Frames pushed after a frame before its result comes out (once the first came out)."""
        return self._reach

    def push(self, probs: np.ndarray, frame: np.ndarray | None = None) -> list[np.ndarray]:
        """Add the next frame's masks; return the smoothed masks that are now ready.

        Args:
            probs: ``[H, W]`` (one object) or ``[N, H, W]`` (N objects) float32 in 0..1.
            frame: ``[H, W, 3]`` uint8 RGB frame for motion compensation, or ``None``.

        Returns:
            A list of arrays shaped like ``probs`` (possibly empty).
        """
        return [job() for job in self.push_later(probs, frame)]

    def push_later(
        self, probs: np.ndarray, frame: np.ndarray | None = None
    ) -> list[Callable[[], np.ndarray]]:
        """:meth:`push`, with the ready masks as functions that compute them.

        Each function holds what its frame's window needs, so it may run later, on
        another thread, at the same time as the others and as further pushes; call
        each once. Its result is exactly what :meth:`push` returns for that frame.
        Where consecutive frames are smoothed in parallel this way, the slow part of
        smoothing (comparing each frame with its window) spreads over the cores. A
        sequence's functions must have run before a sequence of another size is pushed.
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
        raw = stack
        self._scale = work_scale(stack.shape[2], self.settings.work_width)
        if self._scale > 1:
            # N x [h, w] -> [N, h, w] at the working resolution (one object: no copy).
            planes = [area_downscale(plane, self._scale) for plane in stack]
            stack = planes[0][None] if len(planes) == 1 else np.stack(planes)
        self._factor = flow_factor(stack.shape[2], self.settings.flow_width)
        grey = soft_grey = colour = None
        if self._reach > 0 and frame is not None:
            if frame.shape[:2] != full_size or frame.ndim != 3:
                raise VfxError(
                    f"frame of shape {frame.shape} does not match masks of size "
                    f"{full_size}; pass [H, W, 3] uint8 RGB frames"
                )
            small = area_downscale(frame, self._scale)  # [h, w, 3] at the working resolution
            colour = fine_colour(small)
            flow_shape = (-(-stack.shape[1] // self._factor), -(-stack.shape[2] // self._factor))
            if self.settings.motion and flow_possible(*flow_shape):
                # The flow grid of the working resolution.
                grey = grey_low_res(small, self._factor)
                soft_grey = smoothed_grey(grey)
        low = self.settings.low
        whole = [(0, stack.shape[1], 0, stack.shape[2])]
        boxes = [support_regions(plane, low, self._factor) if low > 0 else whole for plane in stack]
        entry = _Entry(self._pushed, stack, raw, boxes, grey, soft_grey, colour)
        previous = self._entries[-1] if self._entries else None
        if previous is not None and grey is not None and previous.grey is not None:
            cells = self._flow_cells(previous, entry, grey.shape)
            previous.to_next, entry.to_prev = self._flow.pair(
                previous.grey, grey, self.settings.occlusion, cells
            )
        self._entries.append(entry)
        self._pushed += 1
        ready = []
        # Frame t is ready once the last frame of its window, max(t + k, 2k), is in.
        while self._pushed - 1 >= max(self._emitted + self._reach, self._span):
            ready.append(self._next_job())
        return ready

    def _flow_cells(self, previous: _Entry, entry: _Entry, grid: tuple[int, ...]) -> Box | None:
        """Flow-grid cells worth estimating the flow between two frames in (``None``: all).

        Flows are only read around the objects, so they are estimated inside
        the union of both frames' boxes, grown by a ``FLOW_MARGIN`` share of the grid for
        motion and context; the whole ``grid`` (``(h, w)`` cells) when that saves little.
        Only the grid's shorter side is cut: DIS sizes its pyramid by the longer
        side, and a shallower one would lose fast motion.
        """
        height, width = grid
        boxes = [box for frame in (previous, entry) for parts in frame.boxes for box in parts]
        if not boxes:
            return None
        f = self._factor
        margin = math.ceil(FLOW_MARGIN * min(height, width))
        cells = (
            max(0, min(b[0] for b in boxes) // f - margin),
            min(height, -(-max(b[1] for b in boxes) // f) + margin),
            max(0, min(b[2] for b in boxes) // f - margin),
            min(width, -(-max(b[3] for b in boxes) // f) + margin),
        )
        if width >= height:
            cells = (cells[0], cells[1], 0, width)
        else:
            cells = (0, height, cells[2], cells[3])
        area = (cells[1] - cells[0]) * (cells[3] - cells[2])
        if area > FLOW_CROP_SHARE * height * width or not flow_possible(
            cells[1] - cells[0], cells[3] - cells[2]
        ):
            return None
        return cells

    def flush(self) -> list[np.ndarray]:
        """Return the remaining smoothed masks and reset the smoother for a new sequence."""
        return [job() for job in self.flush_later()]

    def flush_later(self) -> list[Callable[[], np.ndarray]]:
        """:meth:`flush`, with the masks as functions that compute them (see :meth:`push_later`)."""
        ready = []
        while self._emitted < self._pushed:
            ready.append(self._next_job())
        self._entries.clear()
        self._pushed = self._emitted = 0
        self._shape = None
        # DIS keeps buffers between calls; a fresh one makes every sequence reproducible.
        self._flow = FlowEstimator(self.settings.flow_preset)
        return ready

    def _entry(self, index: int) -> _Entry:
        return self._entries[index - self._entries[0].index]

    def _window(self, target: int) -> tuple[int, int]:
        """First and last frame of ``target``'s window (``window`` frames where there are).

        Near the ends the window slides inwards, which is safe because every vote
        is checked against the frames; without frames it shrinks symmetrically.
        """
        last = self._pushed - 1
        if self._entry(target).colour is None:
            return max(0, target - self._reach), min(last, target + self._reach)
        first = max(0, min(target - self._reach, last - self._span))
        return first, min(last, max(target + self._reach, self._span))

    def _correspondences(
        self, target: int, frames: dict[int, _Entry], flow: FlowEstimator
    ) -> dict[int, Correspondence | None]:
        """Chained flows from frame ``target`` to each other frame of its window ``frames``
        (``None`` without motion)."""
        result: dict[int, Correspondence | None] = {}
        for step, stop in ((1, max(frames)), (-1, min(frames))):
            corr: Correspondence | None = None
            broken = False  # a frame without flow ends motion compensation on this side
            for index in range(target, stop, step):
                entry = frames[index]
                hop = entry.to_next if step > 0 else entry.to_prev
                if hop is None:
                    broken = True
                elif not broken:
                    corr = hop if corr is None else flow.chain(corr, hop)
                result[index + step] = None if broken else corr
        return result

    def _next_job(self) -> Callable[[], np.ndarray]:
        """The next frame's smoothing, as a function of the window's frames taken now (the
        smoother may move on before it runs)."""
        target = self._emitted
        first, last = self._window(target)
        frames = {index: self._entry(index) for index in range(first, last + 1)}
        self._emitted += 1
        while self._entries and self._entries[0].index < self._emitted - self._span:
            self._entries.popleft()
        single = len(self._shape or ()) == 2
        return partial(self._emit, target, frames, self._flow, single)

    def _emit(
        self, target: int, frames: dict[int, _Entry], flow: FlowEstimator, single: bool
    ) -> np.ndarray:
        """Smoothed masks of frame ``target`` from its window ``frames`` (``[H, W]`` for a
        ``single`` object, else ``[N, H, W]``)."""
        current = frames[target]
        corrs = self._correspondences(target, frames, flow)
        tolerance = self.settings.appearance_tolerance
        for index, corr in corrs.items():
            if corr is not None:
                there = frames[index].soft_grey
                assert current.soft_grey is not None and there is not None  # flow had frames
                corrs[index] = flow.appearance_check(corr, current.soft_grey, there, tolerance)
        window = [frames[i] for i in sorted(corrs)]
        raw = current.raw if current.raw is not None else current.probs
        out: np.ndarray = np.zeros(raw.shape, np.float32)  # [N, H, W]
        for obj in range(out.shape[0]):
            regions = [self._region(box, None, current) for box in current.boxes[obj]]
            for entry in window:
                corr = corrs[entry.index]
                regions.extend(self._region(box, corr, current) for box in entry.boxes[obj])
            models = self._object_models(current, obj, corrs, regions, frames) if regions else {}
            for box in merge_boxes(regions):
                proposed, flip = self._vote_box(obj, box, current, window, corrs, models)
                self._settle(out, obj, box, proposed, flip, raw)
        current.raw = None  # the full-resolution masks are needed by this frame only
        return out[0] if single else out

    def _region(self, box: Box, corr: Correspondence | None, current: _Entry) -> Box:
        """The work-res pixels of the current frame whose votes can come from ``box``.

        ``box`` holds part of a mask of the frame that ``corr`` (current ->
        that frame) leads to, or of the current frame itself (``corr`` is
        ``None``); a pixel lands in it when the flow takes it there, so the box
        is moved back by the range of the flow inside it, plus a pixel (and
        the outline band) of slack.
        """
        height, width = current.probs.shape[1:]
        x_min, x_max, y_min, y_max = (
            (0.0,) * 4 if corr is None else flow_range_in_box(corr, self._factor, box)
        )
        margin = EDGE_BAND + 1
        return (
            max(0, box[0] - math.ceil(y_max) - margin),
            min(height, box[1] - math.floor(y_min) + margin),
            max(0, box[2] - math.ceil(x_max) - margin),
            min(width, box[3] - math.floor(x_min) + margin),
        )

    def _settle(
        self,
        out: np.ndarray,
        obj: int,
        box: Box,
        proposed: np.ndarray,
        flip: np.ndarray,
        raw: np.ndarray,
    ) -> None:
        """Write object ``obj``'s final values inside work-res ``box`` into full-res ``out``.

        ``proposed`` (``[h, w]`` float32) and ``flip`` (``[h, w]`` bool) are the
        window's values and overturned pixels at the working resolution; they
        are scaled up (bilinear, only at the pixels the rules let change;
        nearest) and checked against the full-resolution raw masks ``raw``
        (``[N, H, W]``) of all the objects.
        """
        scale = self._scale
        height, width = raw.shape[1:]
        y0, y1, x0, x1 = box
        top, left = y0 * scale, x0 * scale
        bottom, right = min(height, y1 * scale), min(width, x1 * scale)
        smoothed: np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray] = proposed
        if scale > 1:
            smoothed = partial(bilinear_up, proposed, scale)
            if flip.any():
                flip = np.repeat(np.repeat(flip, scale, axis=0), scale, axis=1)
                flip = flip[: bottom - top, : right - left]
        others = [plane[top:bottom, left:right] for k, plane in enumerate(raw) if k != obj]
        alpha = out[obj, top:bottom, left:right]
        guard(raw[obj, top:bottom, left:right], smoothed, flip, others, EDGE_BAND * scale, alpha)
        hysteresis(alpha, self.settings.low, self.settings.high)

    def _object_models(
        self,
        current: _Entry,
        obj: int,
        corrs: dict[int, Correspondence | None],
        regions: list[Box],
        frames: dict[int, _Entry],
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
        # The object's inside on the flow grid: the cells' centre pixels at or above 0.5.
        core_ys, core_xs = np.nonzero(current.probs[obj, f // 2 :: f, f // 2 :: f] >= 0.5)
        tolerance = self.settings.appearance_tolerance
        models: dict[int, tuple[np.ndarray, np.ndarray] | None] = {}
        for index, corr in corrs.items():
            models[index] = None
            if corr is None:
                continue
            there = frames[index].soft_grey
            assert current.soft_grey is not None and there is not None  # flow had frames
            matrix = fit_object_motion(
                corr, (core_ys, core_xs), f, current.soft_grey, there, tolerance
            )
            if matrix is not None:
                unexplained = model_unexplained(
                    matrix, f, current.soft_grey, there, tolerance, cells
                )
                models[index] = (matrix, unexplained)
        return models

    def _vote_box(
        self,
        obj: int,
        box: Box,
        current: _Entry,
        window: list[_Entry],
        corrs: dict[int, Correspondence | None],
        models: dict[int, tuple[np.ndarray, np.ndarray] | None],
    ) -> tuple[np.ndarray, np.ndarray]:
        """The window's proposal for object ``obj`` inside work-res ``box`` of the current frame.

        Returns the combined ``[h, w]`` float32 values (an untrusted vote counts
        as the current value) and the ``[h, w]`` bool confident pixels that the
        trusted votes overturn.
        """
        y0, y1, x0, x1 = box
        centre = current.probs[obj, y0:y1, x0:x1]
        here = None if current.colour is None else current.colour[y0:y1, x0:x1]
        tolerance = self.settings.appearance_tolerance
        mine = centre >= 0.5
        values, offsets = [centre], [0]
        votes, trusted = [], []
        for entry in window:
            corr = corrs[entry.index]
            plane = entry.probs[obj]
            moved, valid, mover = self._aligned(plane, corr, box, models.get(entry.index), mine)
            if corr is not None:
                moved, valid, mover = self._better_of_shift(
                    (moved, valid, mover), plane, current.probs[obj], box, mine
                )
            if here is not None and entry.colour is not None:
                # Whether a vote is trusted only matters where it differs from the current
                # value, so the colour is moved and compared inside the box around those
                # pixels (plus the check's 1 px neighbourhood) only.
                left, top, width, height = cv2.boundingRect((moved != centre).view(np.uint8))
                if width:
                    bottom, right = min(y1 - y0, top + height + 1), min(x1 - x0, left + width + 1)
                    top, left = max(0, top - 1), max(0, left - 1)
                    part = (y0 + top, y0 + bottom, x0 + left, x0 + right)
                    alike = np.ones(moved.shape, bool)
                    alike[top:bottom, left:right] = looks_alike(
                        here[top:bottom, left:right], mover(entry.colour, part), tolerance
                    )
                    valid = alike if valid is None else valid & alike
            value = moved if valid is None else np.where(valid, moved, centre)
            values.append(value)
            offsets.append(entry.index - current.index)
            votes.append(moved)
            trusted.append(valid)
        merged = combine(values, offsets, self.settings.mode)
        # Without frames nothing verifies the votes: an overturn then needs both sides in time.
        sides = offsets[1:] if here is None else None
        flip = overturned(centre, votes, trusted, votes_needed(len(window)), sides)
        return merged, flip

    def _aligned(
        self,
        plane: np.ndarray,
        corr: Correspondence | None,
        box: Box,
        model: tuple[np.ndarray, np.ndarray] | None,
        mine: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None, Mover]:
        """A neighbour's ``[H, W]`` mask moved into ``box``.

        Follows the object's ``model`` when there is one, else the dense flow;
        without any motion the mask is taken as it is. ``mine`` is the
        current ``[h, w]`` bool mask inside ``box``.

        Returns the ``[h, w]`` moved values, their ``[h, w]`` bool validity
        (``None`` when every value is usable) and the :data:`Mover` that moves
        any of the neighbour's planes the same way.
        """
        y0, y1, x0, x1 = box
        if corr is None:
            return plane[y0:y1, x0:x1], None, _crop
        if model is not None:
            return self._follow_model(plane, corr, box, model, mine)
        flow, valid = upsample_box(corr, self._factor, box)
        map_x = flow[..., 0] + np.arange(x0, x1, dtype=np.float32)[None, :]
        map_y = flow[..., 1] + np.arange(y0, y1, dtype=np.float32)[:, None]
        mover = partial(_remap_part, (map_x, map_y), box)
        return mover(plane, box), valid, mover

    def _follow_model(
        self,
        plane: np.ndarray,
        corr: Correspondence,
        box: Box,
        model: tuple[np.ndarray, np.ndarray],
        mine: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None, Mover]:
        """A neighbour's mask moved by the object's motion, corrected where it is not the object.

        ``model`` is the ``[2, 3]`` similarity to the neighbour and the low-res
        cells it does not explain. Where following it would carry the object
        (``plane``) onto such a cell (an occluder passing in front), the
        dense flow, with its validity, tells where the pixel went instead; where
        it would lose a point of the object that the flow loses too (hidden in
        the neighbour), the vote is not trusted.
        """
        y0, y1, x0, x1 = box
        matrix, unexplained = model
        mover: Mover = partial(_affine_part, matrix)
        warped = mover(plane, box)
        f = self._factor
        cells = (slice(y0 // f, -(-y1 // f)), slice(x0 // f, -(-x1 // f)))
        if not unexplained[cells].any():
            return warped, None, mover
        on = warped >= 0.5
        lost = unexplained & (corr.valid <= 0.5)
        hidden = upsample_cells(lost, f, box) & mine & ~on if lost[cells].any() else None
        dragged = upsample_cells(unexplained, f, box) & on
        if not dragged.any():
            return warped, (~hidden if hidden is not None and hidden.any() else None), mover
        rows, cols = np.nonzero(dragged)
        xs = cols.astype(np.float32) + x0
        ys = rows.astype(np.float32) + y0
        flow, valid_at = flow_at(corr, f, xs, ys)
        points = (ys, xs, xs + flow[:, 0], ys + flow[:, 1])
        warped[rows, cols] = sample_points(plane, points[2], points[3])
        valid = np.ones(dragged.shape, bool) if hidden is None else ~hidden
        valid[rows, cols] = valid_at
        return warped, valid, partial(_resampled_part, mover, points)

    @staticmethod
    def _better_of_shift(
        candidate: tuple[np.ndarray, np.ndarray | None, Mover],
        plane: np.ndarray,
        here: np.ndarray,
        box: Box,
        mine: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray | None, Mover]:
        """The aligned vote, or the neighbour moved by the shift of its mask's centroid.

        Image flow says little inside flat, textureless objects, so a fast one can
        be misaligned. When the aligned ``[h, w]`` mask vote agrees poorly with the
        current ``[h, w]`` bool mask ``mine`` (inside ``box``), the neighbour's
        ``[H, W]`` mask ``plane`` is also shifted by the offset of its centroid to
        the current ``[H, W]`` mask ``here``'s, and the shifted vote is returned
        when it agrees with the current mask closely.
        """
        agreement = _iou(candidate[0] >= 0.5, mine)
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
        # Pixel (x, y) samples the plane at (x + dx, y + dy).
        mover: Mover = partial(_affine_part, np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]))
        shifted = mover(plane, box)
        # Only a shift that makes the neighbour match the current mask closely is taken:
        # a current mask that is itself wrong (a dropout, a blob) must still be outvoted.
        if _iou(shifted >= 0.5, mine) >= SHIFT_CHECK_IOU:
            return shifted, None, mover
        return candidate


SHIFT_CHECK_IOU = 0.95
"""IoU with the current mask below which a vote counts as misaligned and a shift must reach."""


Mover = Callable[[np.ndarray, Box], np.ndarray]
"""Moves a neighbour's ``[H, W]`` or ``[H, W, C]`` plane into a box (any part of the box
it was made for, with the same values there), as a vote was moved."""


def _crop(plane: np.ndarray, part: Box) -> np.ndarray:
    """No motion: ``part`` of ``plane`` as it is."""
    return plane[part[0] : part[1], part[2] : part[3]]


def _affine_part(matrix: np.ndarray, plane: np.ndarray, part: Box) -> np.ndarray:
    """``plane`` sampled bilinearly into ``part`` (edges replicated), where the
    ``[2, 3]`` float64 ``matrix`` takes each pixel ``(x, y)`` to the point it samples.

    Returns:
        ``[y1-y0, x1-x0(, C)]``, the plane's dtype.
    """
    y0, y1, x0, x1 = part
    # Output pixel (u, v) of the part is pixel (u + x0, v + y0).
    shifted = matrix.copy()
    shifted[:, 2] += matrix[:, :2] @ np.array([x0, y0], np.float64)
    return cv2.warpAffine(
        plane,
        shifted,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _remap_part(
    maps: tuple[np.ndarray, np.ndarray], box: Box, plane: np.ndarray, part: Box
) -> np.ndarray:
    """``plane`` sampled bilinearly (edges replicated) into ``part`` of ``box``, at the
    ``[h, w]`` float32 x and y ``maps`` of the whole box."""
    rows = slice(part[0] - box[0], part[1] - box[0])
    cols = slice(part[2] - box[2], part[3] - box[2])
    return cv2.remap(
        plane,
        maps[0][rows, cols],
        maps[1][rows, cols],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _resampled_part(
    mover: Mover,
    points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    plane: np.ndarray,
    part: Box,
) -> np.ndarray:
    """``mover``'s result, with the pixels at ``points`` (``[K]`` float32 y, x of the
    pixels and x, y of where they sample) sampled where the points say."""
    moved = mover(plane, part)
    ys, xs, at_x, at_y = points
    inside = (ys >= part[0]) & (ys < part[1]) & (xs >= part[2]) & (xs < part[3])
    rows = ys[inside].astype(np.intp) - part[0]
    cols = xs[inside].astype(np.intp) - part[2]
    moved[rows, cols] = sample_points(plane, at_x[inside], at_y[inside])
    return moved


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two same-shape bool arrays (1.0 when both are empty)."""
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def bilinear_up(image: np.ndarray, scale: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Values at pixels ``(rows, cols)`` (``[K]`` each) of ``[h, w]`` float32 ``image``
    scaled up ``scale`` times bilinearly, as ``cv2.resize`` with ``INTER_LINEAR``
    gives them (edges replicated).

    Returns:
        ``[K]`` float32.
    """
    height, width = image.shape

    def axis(index: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Pixel centres line up: full-res i sits at low-res (i + 0.5) / scale - 0.5.
        at = (index.astype(np.float32) + np.float32(0.5)) / np.float32(scale) - np.float32(0.5)
        first = np.floor(at)
        weight = at - first
        first = first.astype(np.intp)
        outside = (first < 0) | (first >= size - 1)
        weight[outside] = 0.0
        first = np.clip(first, 0, size - 1)
        return first, np.minimum(first + 1, size - 1), weight

    r0, r1, wy = axis(rows, height)
    c0, c1, wx = axis(cols, width)
    upper = image[r0, c0] + wx * (image[r0, c1] - image[r0, c0])
    lower = image[r1, c0] + wx * (image[r1, c1] - image[r1, c0])
    return upper + wy * (lower - upper)


def dependence_reach(settings: SmoothSettings) -> int:
    """Frames before or after a frame that its smoothed result can depend on.

    ``window - 1``: near the ends of a video the window slides inwards, so
    frame 0's result depends on frames 1 .. window - 1. Smoothing the frames
    ``t - reach .. t + reach`` on their own gives frame ``t`` exactly the result
    it gets in the whole video.
    """
    return 2 * (settings.window // 2)


def work_scale(width: int, work_width: int) -> int:
    """Integer factor that brings masks ``width`` wide to at most ``work_width`` (0: no limit)."""
    return 1 if work_width <= 0 else max(1, -(-width // work_width))


def smooth(probs: np.ndarray, frames: np.ndarray | None = None, **settings: Any) -> np.ndarray:
    """Smooth a sequence of soft masks over time (one object, or several jointly).

    Args:
        probs: ``[T, H, W]`` (one object) or ``[T, N, H, W]`` (N objects) float32 in 0..1.
        frames: ``[T, H, W, 3]`` uint8 RGB frames for motion compensation, or ``None``.
        **settings: :class:`SmoothSettings` fields; omitted ones take the preset defaults.

    Returns:
        An array shaped like ``probs``, float32 in 0..1.
    """
    stack = np.asarray(probs, dtype=np.float32)
    if stack.ndim not in (3, 4):
        raise VfxError(f"smooth expects [T, H, W] or [T, N, H, W] masks, got shape {stack.shape}")
    if frames is not None and (len(frames) != len(stack)):
        raise VfxError(f"smooth got {len(frames)} frames for {len(stack)} masks; pass one per mask")
    smoother = TemporalSmoother(settings)
    out = []
    for t, plane in enumerate(stack):
        out.extend(smoother.push(plane, None if frames is None else frames[t]))
    out.extend(smoother.flush())
    return np.stack(out) if out else np.zeros_like(stack)
