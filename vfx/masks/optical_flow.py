"""Dense motion between neighbouring frames, at reduced resolution, for motion-compensated filters.

Flow is estimated with OpenCV's DIS on grey frames downscaled by an integer
factor (a 1080p frame becomes 240x135), refined down to that size, which is
what keeps it cheap. Longer hops are made by chaining one-frame flows, and
every flow carries a validity map: a pixel whose forward and backward flows
disagree (it is occluded or uncovered in the other frame), whose match looks
different, or whose match falls outside the image is not a valid
correspondence, so a filter does not drag content across occlusions.

Per-pixel flow smears across an object's outline, so an object's own motion is
also fitted as one similarity transform (:func:`fit_object_motion`), together
with the cells that this motion does not explain (:func:`model_unexplained`).

All flows here are ``[h, w, 2]`` float32 (x then y displacement) in low-res
pixels; validity maps are ``[h, w]`` float32 holding 0 or 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Columns of the point maps handed to cv2.remap (its maps must have under 32767 rows).
_REMAP_COLUMNS = 1024

PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
# Round-trip check (after Sundaram et al. 2010): a round trip may miss by 1% of
# the squared motion plus 2 px squared; occlusions miss by far more.
_FB_RELATIVE = 0.01
_FB_ABSOLUTE = 2.0
# Fixed-point steps that invert a flow; motion is smooth, so few suffice.
_INVERSE_STEPS = 3
# At most this many flow vectors go into an object's motion fit.
_MAX_FIT_POINTS = 400
# Share of an object's core that must look the same after its fitted motion.
_MODEL_AGREEMENT = 0.7
_SQUARE = np.ones((3, 3), np.uint8)
# DIS needs frames at least this many pixels on each side (it fails below 12).
MIN_FLOW_SIZE = 16
# cv2.remap takes maps narrower and shorter than SHRT_MAX; points are sampled in rows this long.
_POINTS_PER_ROW = 4096


def flow_factor(width: int, flow_width: int) -> int:
    """Integer downscale factor that brings a frame ``width`` close to ``flow_width``."""
    return max(1, round(width / max(1, flow_width)))


def flow_possible(height: int, width: int) -> bool:
    """Whether a ``height`` x ``width`` flow grid is large enough for DIS optical flow."""
    return min(height, width) >= MIN_FLOW_SIZE


def sample_points(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``image`` ``[H, W(, C)]`` at the points ``(xs, ys)`` (``[K]`` each).

    Edges are replicated. Any number of points works: they are laid out in rows
    of at most ``_POINTS_PER_ROW``, because ``cv2.remap`` refuses maps with a
    side of ``SHRT_MAX`` (32767) or more.

    Returns:
        ``[K]`` or ``[K, C]`` samples, ``image``'s dtype.
    """
    count = int(xs.size)
    if count == 0:
        return np.zeros((0, *image.shape[2:]), image.dtype)
    width = min(count, _POINTS_PER_ROW)
    rows = -(-count // width)
    map_x = np.zeros(rows * width, np.float32)
    map_y = np.zeros(rows * width, np.float32)
    map_x[:count], map_y[:count] = xs.ravel(), ys.ravel()
    # [rows * width] -> [rows, width] maps; the padding samples pixel (0, 0) and is dropped.
    out = cv2.remap(
        image,
        map_x.reshape(rows, width),
        map_y.reshape(rows, width),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    # [rows, width(, C)] -> [rows * width(, C)], then the K real points.
    return out.reshape(rows * width, *out.shape[2:])[:count]


def low_res_shape(height: int, width: int, factor: int) -> tuple[int, int]:
    """``(h, w)`` of the flow grid: the frame padded to a multiple of ``factor``, divided by it."""
    return math.ceil(height / factor), math.ceil(width / factor)


def area_downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """``[H, W]`` image -> ``[ceil(H/factor), ceil(W/factor)]`` by area averaging, same dtype.

    The image is padded (edge replicated) to a multiple of ``factor`` first, so
    low-res pixel ``i`` covers exactly full-res pixels ``i*factor .. (i+1)*factor - 1``.
    """
    if factor <= 1:
        return image
    height, width = image.shape[:2]
    low_h, low_w = low_res_shape(height, width, factor)
    pad_y, pad_x = low_h * factor - height, low_w * factor - width
    if pad_y or pad_x:
        image = cv2.copyMakeBorder(image, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    return cv2.resize(image, (low_w, low_h), interpolation=cv2.INTER_AREA)


def grey_low_res(frame: np.ndarray, factor: int) -> np.ndarray:
    """``[H, W, 3]`` uint8 RGB frame -> ``[h, w]`` uint8 grey, area-averaged by ``factor``.

    Pixel grid as in :func:`area_downscale`.
    """
    # One channel to downscale, not three.
    return area_downscale(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), factor)


@dataclass
class Correspondence:
    """Where each pixel of one frame is in another frame, at low resolution.

    Attributes:
        field: ``[h, w, 3]`` float32; channels 0 and 1 are the x and y
            displacement to the other frame, channel 2 is 1 where the match is
            trustworthy, else 0.
        extent: ``(y0, y1, x0, x1)`` (end-exclusive) outside which ``field`` is
            all 0 (no motion, not valid), as for a flow estimated on a part of
            the frames; ``None``: anywhere. Work on the flow can skip the rest.
    """

    field: np.ndarray
    extent: tuple[int, int, int, int] | None = None

    @property
    def flow(self) -> np.ndarray:
        """``[h, w, 2]`` displacement (a view)."""
        return self.field[..., :2]

    @property
    def valid(self) -> np.ndarray:
        """``[h, w]`` 0/1 validity (a view)."""
        return self.field[..., 2]


class FlowEstimator:
    """DIS optical flow between low-res grey frames, with forward-backward validity."""

    def __init__(self, preset: str = "ultrafast") -> None:
        self._dis = cv2.DISOpticalFlow_create(PRESETS[preset])
        # The presets stop at 1/4 (ultrafast, fast) of the input; we already
        # downscale the input, so refine down to its full size.
        self._dis.setFinestScale(0)
        # Per size: a crop's flow and the whole grid's chains alternate.
        self._grids: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def grid(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """``([h, w], [h, w])`` float32 pixel x and y coordinates, cached per size."""
        grid = self._grids.get((height, width))
        if grid is None:
            ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
            grid = self._grids[height, width] = (xs, ys)
        return grid

    def _targets(
        self,
        flow: np.ndarray,
        at: tuple[int, int] = (0, 0),
        size: tuple[int, int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Where ``x + flow(x)`` lands: ``([h, w], [h, w])`` float32 x and y.

        ``flow`` (``[h, w, 2]``) is the whole grid, or the part of a grid of
        ``size`` (``(H, W)``) whose first cell is ``at`` (``(y, x)``).
        """
        height, width = flow.shape[:2]
        xs, ys = self.grid(*(size or (height, width)))
        part = (slice(at[0], at[0] + height), slice(at[1], at[1] + width))
        return xs[part] + flow[..., 0], ys[part] + flow[..., 1]

    def sample(
        self,
        field: np.ndarray,
        flow: np.ndarray,
        targets: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Bilinearly sample ``field`` ``[h, w(, c)]`` at ``x + flow(x)`` (edges replicated).

        ``targets``: ``self._targets(flow)`` when the caller has it already.
        """
        tx, ty = self._targets(flow) if targets is None else targets
        return cv2.remap(field, tx, ty, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def _inside(
        self,
        flow: np.ndarray,
        targets: tuple[np.ndarray, np.ndarray] | None = None,
        size: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """``[h, w]`` bool: whether ``x + flow(x)`` lands inside the image (of ``size``,
        when ``flow`` and its ``targets`` are a part of it)."""
        height, width = size or flow.shape[:2]
        tx, ty = self._targets(flow) if targets is None else targets
        return (tx >= 0) & (tx <= width - 1) & (ty >= 0) & (ty <= height - 1)

    def pair(
        self,
        first: np.ndarray,
        second: np.ndarray,
        check: bool = True,
        cells: tuple[int, int, int, int] | None = None,
    ) -> tuple[Correspondence, Correspondence]:
        """Flows ``first -> second`` and ``second -> first`` between ``[h, w]`` uint8 grey frames.

        Only the forward flow is estimated; the backward one is its inverse,
        found by fixed-point iteration (``b(y) = -f(y + b(y))``), which halves
        the cost. With ``check``, each flow's validity is its round-trip
        consistency (pixels that the forward flow sends where another one goes,
        i.e. that get hidden, fail it) and staying inside the image; without
        it, only the latter.

        ``cells`` (``(y0, y1, x0, x1)``, end-exclusive) limits the estimate to
        that part of the frames: outside it both flows are zero and invalid,
        and a match that leaves it is invalid.
        """
        height, width = first.shape
        y0, y1, x0, x1 = cells or (0, height, 0, width)
        # DIS takes contiguous images only.
        part = [np.ascontiguousarray(grey[y0:y1, x0:x1]) for grey in (first, second)]
        forward = self._dis.calc(part[0], part[1], None)
        backward = -forward
        for _ in range(_INVERSE_STEPS):
            backward = -self.sample(forward, backward)
        extent = None if (y1 - y0, x1 - x0) == (height, width) else (y0, y1, x0, x1)
        flows = []
        for flow, back in ((forward, backward), (backward, forward)):
            # The whole grid's field, written channel by channel (no interleaving copies).
            field = np.zeros((height, width, 3), np.float32)
            for channel in (0, 1):
                field[y0:y1, x0:x1, channel] = flow[..., channel]
            field[y0:y1, x0:x1, 2] = self._valid(flow, back, check)
            flows.append(Correspondence(field, extent))
        return flows[0], flows[1]

    def _valid(self, flow: np.ndarray, back: np.ndarray, check: bool) -> np.ndarray:
        """``[h, w]`` bool: where ``flow`` lands inside the frame and, with ``check``,
        where following it and then ``back`` returns close to the start."""
        targets = self._targets(flow)
        valid = self._inside(flow, targets)
        if check:
            miss = flow + self.sample(back, flow, targets)
            miss_sq = miss[..., 0] ** 2 + miss[..., 1] ** 2
            motion_sq = (
                flow[..., 0] ** 2 + flow[..., 1] ** 2 + back[..., 0] ** 2 + back[..., 1] ** 2
            )
            valid &= miss_sq <= _FB_RELATIVE * motion_sq + _FB_ABSOLUTE
        return valid

    def chain(self, first: Correspondence, then: Correspondence) -> Correspondence:
        """Compose ``a -> b`` with ``b -> c`` into ``a -> c``; valid only where both hops are.

        Outside both extents ``a -> b`` is 0 and ``b -> c`` is 0 where it lands,
        so ``a -> c`` is 0 there too: only the union of the extents is computed.
        """
        size = first.field.shape[:2]
        extent = _union(first.extent, then.extent)
        y0, y1, x0, x1 = extent or (0, size[0], 0, size[1])
        part = first.field[y0:y1, x0:x1]
        hop = self.sample(then.field, part[..., :2], self._targets(part[..., :2], (y0, x0), size))
        for channel in (0, 1):  # one channel at a time: numpy adds [h, w, :2] views slowly
            hop[..., channel] += part[..., channel]
        landing = self._targets(hop[..., :2], (y0, x0), size)
        valid = (
            (part[..., 2] > 0.5) & (hop[..., 2] > 0.5) & self._inside(hop[..., :2], landing, size)
        )
        hop[..., 2] = valid
        return _pasted(Correspondence(hop), size, extent)

    def appearance_check(
        self, corr: Correspondence, here: np.ndarray, there: np.ndarray, tolerance: float
    ) -> Correspondence:
        """``corr`` with matches whose grey levels differ by more than ``tolerance`` made invalid.

        ``here`` and ``there`` are the two frames' :func:`smoothed_grey` images.
        Where the flow failed (fast, low-contrast motion), the matched pixel
        usually looks different, so a wrong match is not trusted.
        """
        height, width = corr.field.shape[:2]
        y0, y1, x0, x1 = corr.extent or (0, height, 0, width)  # elsewhere nothing is valid
        part = corr.field[y0:y1, x0:x1, :2]
        seen = self.sample(there, part, self._targets(part, (y0, x0), (height, width)))
        field = corr.field.copy()
        field[y0:y1, x0:x1, 2] *= np.abs(seen - here[y0:y1, x0:x1]) <= tolerance
        return Correspondence(field, corr.extent)


def _union(
    first: tuple[int, int, int, int] | None, second: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    """The box holding two extents (``None``, anywhere, if either is)."""
    if first is None or second is None:
        return None
    return (
        min(first[0], second[0]),
        max(first[1], second[1]),
        min(first[2], second[2]),
        max(first[3], second[3]),
    )


def _pasted(
    corr: Correspondence, size: tuple[int, int], extent: tuple[int, int, int, int] | None
) -> Correspondence:
    """``corr`` computed on ``extent`` of a ``size`` grid, as a whole-grid correspondence."""
    if extent is None:
        return corr
    y0, y1, x0, x1 = extent
    field = np.zeros((*size, 3), np.float32)
    field[y0:y1, x0:x1] = corr.field
    return Correspondence(field, extent)


def looks_alike(here: np.ndarray, there: np.ndarray, tolerance: float) -> np.ndarray:
    """``[h, w]`` bool: where ``here`` matches ``there`` within ``tolerance`` levels.

    Both are ``[h, w, 3]`` uint8 colour images of one region (:func:`fine_colour`),
    ``there`` aligned onto ``here``. A pixel matches when, in every channel, its
    value lies within ``tolerance`` of the range of ``there`` over its 3x3
    neighbourhood, so an alignment off by less than a pixel at a sharp edge
    still matches, while something else seen there (an occluder, the background
    an object left) does not. Colour, not grey: a red and a blue object can have
    the same grey level.
    """
    slack = (round(tolerance),) * 3
    # uint8 saturates, so the bounds widen by ``slack`` without wrapping around.
    low = cv2.subtract(  # type: ignore[call-overload]  # a tuple is OpenCV's per-channel scalar
        cv2.erode(there, _SQUARE, borderType=cv2.BORDER_REPLICATE), slack
    )
    high = cv2.add(cv2.dilate(there, _SQUARE, borderType=cv2.BORDER_REPLICATE), slack)
    # inRange: 255 where every channel lies within its bounds.
    return cv2.inRange(here, low, high) > 0


def fine_colour(small: np.ndarray) -> np.ndarray:
    """``[h, w, 3]`` uint8 RGB frame at the working resolution -> the same, lightly blurred."""
    return cv2.GaussianBlur(small, (3, 3), 0.8)


def smoothed_grey(grey: np.ndarray) -> np.ndarray:
    """``[h, w]`` uint8 grey -> float32, lightly blurred, for comparing appearance across frames."""
    return cv2.GaussianBlur(grey.astype(np.float32), (5, 5), 1.0)


def flow_range_in_box(
    corr: Correspondence, factor: int, box: tuple[int, int, int, int]
) -> tuple[float, float, float, float]:
    """Smallest and largest x and y displacement (full-res pixels) of the flow inside ``box``.

    ``box`` is ``(y0, y1, x0, x1)`` in full-res pixels. Returns
    ``(x_min, x_max, y_min, y_max)``, each range widened to include 0.
    """
    y0, y1, x0, x1 = box
    cells = corr.field[y0 // factor : -(-y1 // factor), x0 // factor : -(-x1 // factor)]
    if cells.size == 0:
        return 0.0, 0.0, 0.0, 0.0
    ranges = []
    for channel in (0, 1):  # x, then y; one channel at a time is far faster than axis=(0, 1)
        values = cells[..., channel]
        # float32 products, as the flow's own precision.
        ranges += [np.minimum(values.min(), 0.0) * factor, np.maximum(values.max(), 0.0) * factor]
    return float(ranges[0]), float(ranges[1]), float(ranges[2]), float(ranges[3])


def flow_at(
    corr: Correspondence, factor: int, xs: np.ndarray, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Full-res flow and validity at full-res points ``(xs, ys)`` (``[K]`` float32 each).

    The same bilinear upsampling as :func:`upsample_box`, for a sparse set of pixels.

    Returns:
        ``[K, 2]`` float32 flow in full-res pixels and ``[K]`` bool validity.
    """
    scale = np.float32(1.0 / factor)
    cells = sample_points(corr.field, (xs + 0.5) * scale - 0.5, (ys + 0.5) * scale - 0.5)  # [K, 3]
    return cells[:, :2] * np.float32(factor), cells[:, 2] > 0.5


def upsample_box(
    corr: Correspondence, factor: int, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution flow and validity inside ``box`` = ``(y0, y1, x0, x1)``.

    Only the low-res cells under the box (plus one cell of context for the
    interpolation) are upsampled, so the cost follows the box, not the frame.
    The values equal a bilinear upsampling of the whole field.

    Returns:
        ``[y1-y0, x1-x0, 2]`` float32 flow in full-res pixels, and
        ``[y1-y0, x1-x0]`` bool validity.
    """
    y0, y1, x0, x1 = box
    low_h, low_w = corr.field.shape[:2]
    cy0, cx0 = max(0, y0 // factor - 1), max(0, x0 // factor - 1)
    cy1, cx1 = min(low_h, -(-y1 // factor) + 1), min(low_w, -(-x1 // factor) + 1)
    cells = corr.field[cy0:cy1, cx0:cx1]
    if factor > 1:
        size = ((cx1 - cx0) * factor, (cy1 - cy0) * factor)
        cells = cv2.resize(cells, size, interpolation=cv2.INTER_LINEAR)
    oy, ox = y0 - cy0 * factor, x0 - cx0 * factor
    cells = cells[oy : oy + (y1 - y0), ox : ox + (x1 - x0)]
    return cells[..., :2] * np.float32(factor), cells[..., 2] > 0.5


def fit_object_motion(
    corr: Correspondence,
    core: tuple[np.ndarray, np.ndarray],
    factor: int,
    here: np.ndarray,
    there: np.ndarray,
    tolerance: float,
    min_points: int = 12,
) -> np.ndarray | None:
    """A similarity transform (rotation, scale, shift) that moves an object like ``corr`` does.

    Fitted with RANSAC to the valid flow vectors of the low-res cells in
    ``core`` (the object's inside: ``[P]`` row and ``[P]`` column indices into
    the flow grid, in row-major order as ``np.nonzero`` gives them; computed
    once per object for all its neighbours), so the flow's smearing at
    the object's outline and its outliers do not bend the object's edge. The
    fit is kept only if it explains the object's look: most core cells, moved
    by it, must land on pixels of the other frame within ``tolerance`` grey
    levels (``here`` and ``there`` are the frames' :func:`smoothed_grey` images);
    a flow that missed a fast, small object fails this test.

    Returns:
        ``[2, 3]`` float64 matrix mapping full-res points of this frame to the
        other frame, or ``None`` when there is no trustworthy fit.
    """
    core_ys, core_xs = core
    usable = corr.valid[core_ys, core_xs] > 0.5
    ys, xs = core_ys[usable], core_xs[usable]
    if xs.size < min_points:
        return None
    step = -(-xs.size // _MAX_FIT_POINTS)  # an even subset keeps RANSAC cheap on big objects
    ys, xs = ys[::step], xs[::step]
    flow = corr.flow[ys, xs]  # [P, 2]
    centres = (np.stack([xs, ys], axis=1).astype(np.float32) + 0.5) * factor - 0.5  # [P, 2]
    matrix, inliers = cv2.estimateAffinePartial2D(
        centres,
        centres + flow * factor,
        method=cv2.RANSAC,
        ransacReprojThreshold=max(1.0, 0.75 * factor),
    )
    if matrix is None or inliers is None or int(inliers.sum()) < min_points:
        return None
    points = (np.stack([core_xs, core_ys], axis=1).astype(np.float64) + 0.5) * factor - 0.5
    moved = (points @ matrix[:, :2].T + matrix[:, 2] + 0.5) / factor - 0.5  # [P, 2] low-res
    seen = sample_points(there, moved[:, 0].astype(np.float32), moved[:, 1].astype(np.float32))
    agree = np.abs(seen - here[core_ys, core_xs]) <= tolerance
    return matrix if agree.mean() >= _MODEL_AGREEMENT else None


def model_unexplained(
    model: np.ndarray,
    factor: int,
    here: np.ndarray,
    there: np.ndarray,
    tolerance: float,
    cells: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """``[h, w]`` bool: cells that an object's motion ``model`` does not explain.

    A cell is unexplained when, moved by the model, it lands on a pixel of the
    other frame whose grey level differs by more than ``tolerance``: something
    that does not move with the object is seen there (an occluder passing in
    front, background). Carrying the object's mask onto such a cell would drag
    it over whatever is there.

    Args:
        model: ``[2, 3]`` similarity in full-res coordinates.
        here, there: ``[h, w]`` :func:`smoothed_grey` images of the two frames.
        cells: ``(y0, y1, x0, x1)`` low-res box to examine; cells outside it are
            reported as explained (the caller never looks there). ``None``: all.
    """
    low_h, low_w = here.shape
    y0, y1, x0, x1 = cells or (0, low_h, 0, low_w)
    xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    cx, cy = (xs + 0.5) * factor - 0.5, (ys + 0.5) * factor - 0.5
    m = model.astype(np.float32)
    target_x = (m[0, 0] * cx + m[0, 1] * cy + m[0, 2] + 0.5) / factor - 0.5
    target_y = (m[1, 0] * cx + m[1, 1] * cy + m[1, 2] + 0.5) / factor - 0.5
    seen = cv2.remap(there, target_x, target_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    unexplained = np.zeros((low_h, low_w), bool)
    unexplained[y0:y1, x0:x1] = np.abs(seen - here[y0:y1, x0:x1]) > tolerance
    return unexplained


def upsample_cells(cells: np.ndarray, factor: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """Nearest-neighbour full-res view of a low-res ``[h, w]`` map inside ``box``."""
    y0, y1, x0, x1 = box
    crop = cells[y0 // factor : -(-y1 // factor), x0 // factor : -(-x1 // factor)]
    size = (crop.shape[1] * factor, crop.shape[0] * factor)
    # Nearest-neighbour resize by an integer factor repeats each cell factor x factor times.
    full = cv2.resize(crop.view(np.uint8), size, interpolation=cv2.INTER_NEAREST).view(bool)
    oy, ox = y0 % factor, x0 % factor
    return full[oy : oy + (y1 - y0), ox : ox + (x1 - x0)]
