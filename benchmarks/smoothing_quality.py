"""Does temporal smoothing remove SAM-like chatter without lag? And what does it cost at 1080p?

Makes a synthetic clip with exact soft ground-truth masklets: textured objects
over a textured background, moving at different speeds, one entering and
leaving the frame, one passing behind another, one vanishing abruptly. Each
ground-truth mask is then degraded the way a video segmenter's output is:
boundary jitter, a wobbling soft edge, single-frame dropouts and spurious
blobs. The script prints J, boundary F, dtSSD and the consecutive-IoU change
per object, raw and smoothed, then the per-frame cost of smoothing plus
refinement on 1080p frames.

    python benchmarks/smoothing_quality.py                 # 640x360, 72 frames + 1080p timing
    python benchmarks/smoothing_quality.py --no-timing --frames 24
    python benchmarks/smoothing_quality.py --no-timing --set window=7 --set mode=median
    python benchmarks/smoothing_quality.py --no-timing --width 1920 --height 1080 --frames 24
    # ... the same with --set work_width=0 smooths 1080p at full resolution, for comparison
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vfx.masks import TemporalSmoother, metrics, refine


@dataclass(frozen=True)
class Mover:
    """An object of the synthetic clip; :func:`mover_centre` gives its path."""

    name: str
    radius: float  # fraction of the frame height
    square: bool
    colour: tuple[int, int, int]
    depth: int  # larger is nearer the camera
    frames: tuple[int, int]  # first and last frame present


def mover_centre(mover: Mover, t: int, width: int, height: int) -> tuple[float, float]:
    """Centre in pixels of ``mover`` at frame ``t``; the paths span ``PATH_FRAMES`` frames."""
    u = t / (PATH_FRAMES - 1)
    if mover.name == "slow":
        return width * (0.38 + 0.06 * u), height * (0.5 + 0.05 * math.sin(2 * math.pi * u))
    if mover.name == "fast":
        # Up to width/38 per frame (17 px at 640x360, 51 px at 1080p).
        return (
            width * (0.5 + 0.3 * math.sin(2 * math.pi * u)),
            height * (0.3 + 0.12 * math.cos(2 * math.pi * u)),
        )
    if mover.name == "crossing":  # enters on the left, leaves on the right
        r = mover.radius * height
        return -r + (width + 2 * r) * (u - 0.05) / 0.85, height * 0.78
    if mover.name == "behind":  # passes behind "slow"
        return width * (0.1 + 0.6 * u), height * (0.5 + 0.02 * math.cos(3 * u))
    return width * (0.82 - 0.05 * u), height * (0.22 + 0.05 * u)  # "vanish"


# The objects' paths span this many frames, whatever the clip's length.
PATH_FRAMES = 72

MOVERS = (
    Mover("slow", 0.22, False, (200, 60, 50), 3, (0, 10**9)),
    Mover("fast", 0.12, True, (40, 90, 220), 4, (0, 10**9)),
    Mover("crossing", 0.1, False, (230, 200, 40), 2, (0, 10**9)),
    Mover("behind", 0.13, True, (60, 190, 90), 1, (0, 10**9)),
    Mover("vanish", 0.08, False, (200, 80, 200), 5, (0, 40)),
)


def peak_speed(mover: Mover, count: int, width: int, height: int) -> float:
    """Largest displacement of ``mover`` between two frames of the clip, in pixels."""
    centres = np.array([mover_centre(mover, t, width, height) for t in range(count)])
    return float(np.max(np.hypot(*np.diff(centres, axis=0).T), initial=0.0))


def signed_distance(mover: Mover, t: int, width: int, height: int) -> np.ndarray:
    """``[H, W]`` float32 signed distance to the object's outline (negative inside)."""
    cx, cy = mover_centre(mover, t, width, height)
    r = mover.radius * height
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xs + 0.5 - cx, ys + 0.5 - cy
    if not mover.square:
        return np.sqrt(dx * dx + dy * dy) - r
    corner = 0.25 * r  # rounded square
    qx, qy = np.abs(dx) - (r - corner), np.abs(dy) - (r - corner)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - corner


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """``[H, W]`` float32 noise in about -1..1 with features of ``cell`` pixels."""
    small = rng.standard_normal((max(2, height // cell), max(2, width // cell))).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def make_clip(width: int, height: int, count: int, seed: int):
    """Frames ``[T, H, W, 3]`` uint8, ground truth ``[N, T, H, W]`` float32 (visible, soft)."""
    rng = np.random.default_rng(seed)
    scale = height / 360  # textures keep their size relative to the frame
    background = (
        110
        + 35 * smooth_noise(rng, height, width, round(24 * scale))[..., None]
        + 20 * rng.standard_normal((height, width, 3)).astype(np.float32)
    )
    textures = [
        np.array(m.colour, np.float32)
        + 45 * smooth_noise(rng, 2 * height, 2 * width, round(6 * scale))[..., None]
        for m in MOVERS
    ]
    frames = np.empty((count, height, width, 3), np.uint8)
    truth = np.zeros((len(MOVERS), count, height, width), np.float32)
    order = sorted(range(len(MOVERS)), key=lambda k: MOVERS[k].depth)  # back to front
    for t in range(count):
        image = background.copy()
        for k in order:
            mover = MOVERS[k]
            if not mover.frames[0] <= t <= mover.frames[1]:
                continue
            cover = np.clip(0.5 - signed_distance(mover, t, width, height), 0.0, 1.0)
            cx, cy = mover_centre(mover, t, width, height)
            # The texture moves with the object, to the sub-pixel.
            shift = np.float32([[1, 0, width - cx], [0, 1, height - cy]])
            patch = cv2.warpAffine(
                textures[k],
                shift,
                (width, height),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REFLECT,
            )
            image = image * (1 - cover[..., None]) + patch * cover[..., None]
            truth[:, t] *= 1 - cover  # nearer objects hide farther ones
            truth[k, t] = cover
        frames[t] = np.clip(image, 0, 255).astype(np.uint8)
    return frames, truth


def degrade(truth: np.ndarray, seed: int, jitter: float = 1.0) -> np.ndarray:
    """SAM-like noisy probabilities ``[T, H, W]`` from one object's soft ground truth.

    Sizes are in pixels of a 1080p frame, scaled to the clip: per frame the
    outline shifts by N(0, 1 px) and wobbles by a smooth field of 1.5 px
    amplitude (both times ``jitter``), and the soft edge is 1..4 px wide (SAM
    upsamples its logits 4x). 3% of frames lose the mask, 3% lose half of it,
    and 10% gain a spurious blob (3..12 px radius at 360p scale) for 1 or 2 frames.
    """
    rng = np.random.default_rng(seed)
    count, height, width = truth.shape
    scale = height / 1080.0
    noisy = np.zeros_like(truth)
    blobs_left = 0
    blob = None
    for t in range(count):
        inside = (truth[t] >= 0.5).astype(np.uint8)
        if inside.any():
            dist_out = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
            dist_in = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
            sdf = dist_out - dist_in
            offset = rng.normal(0.0, 1.0) * jitter * scale  # the whole outline jitters
            wobble = 1.5 * jitter * scale * smooth_noise(rng, height, width, int(120 * scale))
            softness = rng.uniform(0.25, 1.0) * scale  # the edge ramp is 1.1..4.4 px wide
            prob = 1.0 / (1.0 + np.exp(np.clip((sdf + offset + wobble) / softness, -50, 50)))
            roll = rng.random()
            if roll < 0.03:
                prob[:] = 0.0  # dropout
            elif roll < 0.06:
                ys, xs = np.nonzero(inside)
                cut = xs < np.median(xs) if rng.random() < 0.5 else ys < np.median(ys)
                prob[ys[cut], xs[cut]] = 0.0  # half of it is lost
            noisy[t] = prob
        if blobs_left == 0 and rng.random() < 0.1:
            blobs_left = 1 + int(rng.random() < 0.3)
            radius = rng.uniform(9, 36) * scale
            blob = (rng.uniform(0, width), rng.uniform(0, height), radius, rng.uniform(0.6, 1.0))
        if blobs_left and blob is not None:
            ys, xs = np.mgrid[0:height, 0:width]
            spot = np.clip(blob[2] + 0.5 - np.hypot(xs - blob[0], ys - blob[1]), 0, 1) * blob[3]
            np.maximum(noisy[t], spot.astype(np.float32), out=noisy[t])
            blobs_left -= 1
    return np.round(noisy * 255) / 255  # what the masklet store keeps


def run_smoother(probs: np.ndarray, frames: np.ndarray, settings: dict) -> np.ndarray:
    """Streaming smoothing of ``[N, T, H, W]`` probabilities -> ``[N, T, H, W]``."""
    smoother = TemporalSmoother(settings)
    out = []
    for t in range(probs.shape[1]):
        out.extend(smoother.push(probs[:, t], frames[t]))
    out.extend(smoother.flush())
    return np.stack(out, axis=1)  # T x [N, H, W] -> [N, T, H, W]


def parse_setting(item: str) -> tuple[str, object]:
    """``"window=7"`` -> ``("window", 7)``; values are JSON, else strings."""
    key, _, text = item.partition("=")
    try:
        return key, json.loads(text)
    except json.JSONDecodeError:
        return key, text


def quality(args: argparse.Namespace) -> None:
    frames, truth = make_clip(args.width, args.height, args.frames, args.seed)
    raw = np.stack([degrade(truth[k], args.seed + 1 + k, args.jitter) for k in range(len(MOVERS))])
    settings = dict(parse_setting(item) for item in args.set)
    started = time.perf_counter()
    smoothed = run_smoother(raw, frames, settings)
    elapsed = time.perf_counter() - started
    print(
        f"clip {args.width}x{args.height}, {args.frames} frames, {len(MOVERS)} objects, "
        f"smoothing settings {settings or 'defaults'} ({elapsed / args.frames * 1000:.1f} ms/frame)"
    )
    header = f"{'object':<9} {'px/frame':>8}  " + " ".join(
        f"{name:>15}"
        for name in ("J raw>smooth", "F raw>smooth", "dtSSD raw>smooth", "dIoU raw>smooth")
    )
    print(header)
    totals = np.zeros((2, 4))
    fastest = (-1.0, "", 0.0)  # speed, name, J change in points
    for k, mover in enumerate(MOVERS):
        before = metrics.summary(raw[k], truth[k])
        after = metrics.summary(smoothed[k], truth[k])
        cells = []
        for i, key in enumerate(("J", "F", "dtSSD", "iou_change")):
            factor = 100.0 if key in ("J", "F", "iou_change") else 1.0
            totals[:, i] += (before[key], after[key])
            cells.append(f"{before[key] * factor:7.2f}>{after[key] * factor:7.2f}")
        speed = peak_speed(mover, args.frames, args.width, args.height)
        fastest = max(fastest, (speed, mover.name, 100 * (after["J"] - before["J"])))
        print(f"{mover.name:<9} {speed:8.1f}  " + " ".join(f"{c:>15}" for c in cells))
    mean = totals / len(MOVERS)
    scale = np.array([100.0, 100.0, 1.0, 100.0])
    print(
        f"{'mean':<20}"
        + " ".join(
            f"{f'{mean[0, i] * scale[i]:7.2f}>{mean[1, i] * scale[i]:7.2f}':>15}" for i in range(4)
        )
    )
    print(
        f"flicker (dtSSD) change: {100 * (mean[1, 2] / mean[0, 2] - 1):+.1f}%  "
        f"mean J change: {100 * (mean[1, 0] - mean[0, 0]):+.2f} points  "
        f"fastest object ({fastest[1]}) J change: {fastest[2]:+.2f} points"
    )


def timing(args: argparse.Namespace) -> None:
    """Per-frame cost of default smoothing plus a typical refinement on 1080p frames.

    Prints wall time and process CPU time (the latter is closer to the idle
    figure on a loaded machine when OpenCV runs single-threaded).
    """
    width, height, count = 1920, 1080, args.timing_frames
    frames, truth = make_clip(width, height, count, args.seed)
    raw = np.stack([degrade(truth[k], args.seed + 1 + k) for k in (1, 0, 2)])  # fast first
    refine_settings = {"feather": 2, "fill_holes": 400, "remove_islands": 400, "guided_radius": 8}
    print(
        f"1080p, {count} frames (the fastest part of the paths), OpenCV threads "
        f"{cv2.getNumThreads()}; refinement {refine_settings}"
    )
    for objects in (1, 3):
        smoother = TemporalSmoother({})
        wall = cpu = 0.0
        measured = 0
        for t in range(count):
            started, started_cpu = time.perf_counter(), time.process_time()
            for stack in smoother.push(raw[:objects, t], frames[t]):
                for plane in stack:
                    refine(plane, frames[t], **refine_settings)
            if t >= 4:  # once the window is full
                wall += time.perf_counter() - started
                cpu += time.process_time() - started_cpu
                measured += 1
        smoother.flush()
        wall_ms, cpu_ms = wall / measured * 1000, cpu / measured * 1000
        print(
            f"  {objects} object{'s' if objects > 1 else ''}: {wall_ms:6.1f} ms/frame wall "
            f"({wall_ms / objects:5.1f} per object), {cpu_ms:6.1f} ms/frame CPU "
            f"({cpu_ms / objects:5.1f} per object)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--frames", type=int, default=72)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jitter", type=float, default=1.0, help="scale of the boundary jitter")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a smoothing setting, e.g. --set window=7 --set mode=median",
    )
    parser.add_argument("--timing-frames", type=int, default=24)
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="OpenCV threads (0: its default)")
    args = parser.parse_args()
    if args.threads:
        cv2.setNumThreads(args.threads)
    quality(args)
    if not args.no_timing:
        timing(args)


if __name__ == "__main__":
    main()
