"""Synthetic masklets with known ground truth, for the smoothing tests and benchmark.

* :func:`mover_clip`: textured (or flat) objects moving over a background at
  chosen speeds, one entering and leaving, one passing behind another, one
  vanishing; with soft, visible-only ground-truth masks.
* :func:`degrade`: SAM-like noisy probabilities from a ground truth (boundary
  jitter, a wobbling soft edge, dropouts, half-lost frames, spurious blobs).
* :func:`scene_clip`, :func:`big_subject_clip`, :func:`tiny_clip`: clips with
  exact binary masks, the cases where smoothing must change nothing.

Frames are ``[T, H, W, 3]`` uint8; masks ``[T, N, H, W]`` (bool when exact) or,
for :func:`mover_clip`, ``[N, T, H, W]`` float32 as the benchmark keeps them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from vfx.demo.synthetic import scene_frames


@dataclass(frozen=True)
class Mover:
    """An object of a :func:`mover_clip`; :func:`mover_centre` gives its path."""

    name: str
    radius: float  # fraction of the frame height
    square: bool
    colour: tuple[int, int, int]
    depth: int  # larger is nearer the camera
    present: tuple[float, float]  # first and last frame present, as fractions of the clip


MOVERS = (
    Mover("slow", 0.22, False, (200, 60, 50), 3, (0.0, 1.0)),
    Mover("fast", 0.12, True, (40, 90, 220), 4, (0.0, 1.0)),
    Mover("crossing", 0.1, False, (230, 200, 40), 2, (0.0, 1.0)),
    Mover("behind", 0.13, True, (60, 190, 90), 1, (0.0, 1.0)),
    Mover("vanish", 0.08, False, (200, 80, 200), 5, (0.0, 0.55)),
)


@dataclass(frozen=True)
class ClipStyle:
    """How a :func:`mover_clip` looks and moves.

    Attributes:
        path_frames: frames the objects' paths span (fewer: faster, as at a lower frame rate).
        textured: textured objects and background; else flat colours on a smooth ground.
        size: object sizes relative to the defaults.
    """

    path_frames: int = 72
    textured: bool = True
    size: float = 1.0


def mover_centre(
    mover: Mover, t: int, width: int, height: int, path_frames: int = 72
) -> tuple[float, float]:
    """Centre in pixels of ``mover`` at frame ``t``."""
    u = t / (path_frames - 1)
    if mover.name == "slow":
        return width * (0.38 + 0.06 * u), height * (0.5 + 0.05 * math.sin(2 * math.pi * u))
    if mover.name == "fast":
        # Up to width/38 per frame over 72 frames (17 px at 640x360, 51 px at 1080p).
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


def present_frames(mover: Mover, count: int) -> tuple[int, int]:
    """First and last frame (inclusive) in which ``mover`` is in a clip of ``count`` frames."""
    return round(mover.present[0] * (count - 1)), round(mover.present[1] * (count - 1))


def peak_speed(mover: Mover, count: int, width: int, height: int, path_frames: int = 72) -> float:
    """Largest displacement of ``mover`` between two frames of the clip, in pixels."""
    centres = np.array([mover_centre(mover, t, width, height, path_frames) for t in range(count)])
    return float(np.max(np.hypot(*np.diff(centres, axis=0).T), initial=0.0))


def signed_distance(
    mover: Mover, centre: tuple[float, float], radius: float, width: int, height: int
) -> np.ndarray:
    """``[H, W]`` float32 signed distance to the object's outline (negative inside)."""
    cx, cy = centre
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xs + 0.5 - cx, ys + 0.5 - cy
    if not mover.square:
        return np.sqrt(dx * dx + dy * dy) - radius
    corner = 0.25 * radius  # rounded square
    qx, qy = np.abs(dx) - (radius - corner), np.abs(dy) - (radius - corner)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - corner


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """``[H, W]`` float32 noise in about -1..1 with features of ``cell`` pixels."""
    small = rng.standard_normal((max(2, height // cell), max(2, width // cell))).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def mover_clip(
    width: int, height: int, count: int, seed: int, style: ClipStyle | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Frames ``[T, H, W, 3]`` uint8 and ground truth ``[N, T, H, W]`` float32 (visible, soft)."""
    style = style or ClipStyle()
    rng = np.random.default_rng(seed)
    scale = height / 360  # textures keep their size relative to the frame
    texture_amp, noise_amp = (45, 20) if style.textured else (0, 0)
    background = (
        110
        + 35 * smooth_noise(rng, height, width, round(24 * scale))[..., None]
        + noise_amp * rng.standard_normal((height, width, 3)).astype(np.float32)
    )
    textures = [
        np.array(m.colour, np.float32)
        + texture_amp * smooth_noise(rng, 2 * height, 2 * width, round(6 * scale))[..., None]
        for m in MOVERS
    ]
    frames = np.empty((count, height, width, 3), np.uint8)
    truth = np.zeros((len(MOVERS), count, height, width), np.float32)
    order = sorted(range(len(MOVERS)), key=lambda k: MOVERS[k].depth)  # back to front
    for t in range(count):
        image = background.copy()
        for k in order:
            mover = MOVERS[k]
            first, last = present_frames(mover, count)
            if not first <= t <= last:
                continue
            cx, cy = mover_centre(mover, t, width, height, style.path_frames)
            radius = mover.radius * height * style.size
            cover = np.clip(0.5 - signed_distance(mover, (cx, cy), radius, width, height), 0, 1)
            # The texture moves with the object, to the sub-pixel.
            shift = np.array([[1, 0, width - cx], [0, 1, height - cy]], np.float32)
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


def scene_clip(
    width: int,
    height: int,
    frames: int,
    objects: int,
    background: tuple[int, int, int] | None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The demo's kind of scene (:func:`vfx.demo.synthetic.scene_frames`): flat shapes on top."""
    scene = list(scene_frames(width, height, frames, objects, background, seed))
    return np.stack([s.rgb for s in scene]), np.stack([s.masks for s in scene])


def big_subject_clip(
    width: int, height: int, frames: int, share: float = 0.6, step: tuple[int, int] = (6, 3)
) -> tuple[np.ndarray, np.ndarray]:
    """A textured rounded rectangle over ``share`` of the frame, moving ``step`` px a frame."""
    rng = np.random.default_rng(3)
    background = 90 + 30 * smooth_noise(rng, height, width, max(4, width // 40))[..., None]
    texture = np.stack(
        [170 + 40 * smooth_noise(rng, height, width, max(4, width // 60)) for _ in "rgb"], axis=-1
    )
    side = math.sqrt(share)
    box_w, box_h = int(width * side), int(height * side)
    rgb = np.empty((frames, height, width, 3), np.uint8)
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
        image = np.repeat(background, 3, axis=2)
        moved = np.roll(texture, (y0, x0), axis=(0, 1))  # the texture moves with the object
        image[on] = moved[on]
        rgb[t] = np.clip(image, 0, 255).astype(np.uint8)
        masks[t, 0] = on
    return rgb, masks


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
