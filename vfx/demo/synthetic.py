"""Synthetic scenes with known masks: the demo clip and the test clips.

A scene is a few solid shapes moving over a green-screen background, so that
every frame comes with an exact per-object mask and a chroma key works on it.
The same generator feeds ``vfx demo`` and the test-suite, which therefore never
needs a binary fixture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

GREEN_SCREEN = (0, 177, 64)


@dataclass(frozen=True)
class SceneFrame:
    """One frame of a synthetic scene.

    Attributes:
        rgb: ``[H, W, 3]`` uint8 frame.
        masks: ``[N, H, W]`` bool, one exact mask per object, in object order.
    """

    rgb: np.ndarray
    masks: np.ndarray


def scene_frames(
    width: int = 320,
    height: int = 240,
    frames: int = 24,
    objects: int = 2,
    background: tuple[int, int, int] | None = GREEN_SCREEN,
    seed: int = 0,
) -> Iterator[SceneFrame]:
    """Yield frames of moving shapes (a disc, a square, ...) over a background.

    Object ``k`` (id ``k + 1``) moves on its own smooth path and never leaves the
    frame; later objects are drawn on top of earlier ones, and each mask holds
    only the object's visible pixels. ``background=None`` gives a textured,
    non-green background (a gradient with noise), for tests of tracking and blur.
    """
    rng = np.random.default_rng(seed)
    palette = [(220, 40, 40), (40, 80, 230), (240, 200, 30), (200, 60, 200), (250, 140, 20)]
    yy, xx = np.mgrid[0:height, 0:width]
    if background is None:
        base = np.stack(
            [
                (xx * 255 // max(width - 1, 1)),
                (yy * 255 // max(height - 1, 1)),
                ((xx + yy) * 127 // max(width + height - 2, 1)),
            ],
            axis=-1,
        ).astype(np.int16)
        base = np.clip(base + rng.integers(-12, 13, base.shape), 0, 255).astype(np.uint8)
    else:
        base = np.empty((height, width, 3), np.uint8)
        base[:] = background
    size = max(min(width, height) // 5, 4)
    phases = rng.uniform(0, 2 * math.pi, size=(objects, 2))
    for t in range(frames):
        rgb = base.copy()
        masks = np.zeros((objects, height, width), bool)
        for k in range(objects):
            u = t / max(frames - 1, 1)
            cx = int(width * (0.25 + 0.5 * (0.5 + 0.5 * math.sin(2 * math.pi * u + phases[k, 0]))))
            cy = int(height * (0.3 + 0.4 * (0.5 + 0.5 * math.cos(2 * math.pi * u + phases[k, 1]))))
            shape = np.zeros((height, width), np.uint8)
            if k % 2 == 0:
                cv2.circle(shape, (cx, cy), size, 255, thickness=-1)
            else:
                cv2.rectangle(shape, (cx - size, cy - size), (cx + size, cy + size), 255, -1)
            on = shape > 0
            masks[:k][:, on] = False
            masks[k] = on
            rgb[on] = palette[k % len(palette)]
        yield SceneFrame(rgb=rgb, masks=masks)


def write_scene_video(
    path: str | Path,
    width: int = 320,
    height: int = 240,
    frames: int = 24,
    fps: int = 24,
    objects: int = 2,
    audio: bool = True,
    background: tuple[int, int, int] | None = GREEN_SCREEN,
    seed: int = 0,
) -> np.ndarray:
    """Write a synthetic scene to an H.264 (yuv444p, near-lossless) file with a sine tone.

    Returns the exact masks, ``[T, N, H, W]`` bool.
    """
    all_masks = []

    def rgb_frames() -> Iterator[np.ndarray]:
        for sf in scene_frames(width, height, frames, objects, background, seed):
            all_masks.append(sf.masks)
            yield sf.rgb

    write_source_clip(path, rgb_frames(), width, height, fps, audio=audio)
    return np.stack(all_masks)


def write_source_clip(
    path: str | Path,
    frames: Iterable[np.ndarray],
    width: int,
    height: int,
    fps: int,
    *,
    audio: bool = True,
    x264_preset: str = "veryfast",
) -> None:
    """Write ``[H, W, 3]`` uint8 RGB frames as a camera original: near-lossless H.264 (yuv444p,
    CRF 4) with, when ``audio``, a 440 Hz AAC tone as long as the video."""
    count = 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv444p"
        stream.options = {"crf": "4", "preset": x264_preset}
        audio_stream = None
        if audio:
            audio_stream = container.add_stream("aac", rate=48000)
            audio_stream.layout = "stereo"
        for rgb in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
            count += 1
        container.mux(stream.encode())
        if audio_stream is not None:
            _write_tone(container, audio_stream, count / fps)


def _write_tone(
    container: av.container.OutputContainer, stream: av.AudioStream, seconds: float
) -> None:
    rate = 48000
    n = round(seconds * rate)
    t = np.arange(n) / rate
    tone = (0.3 * np.sin(2 * math.pi * 440.0 * t)).astype(np.float32)
    block = 1024
    for start in range(0, n, block):
        chunk = tone[start : start + block]
        # [samples] -> [channels=2, samples], planar float for AAC
        planar = np.stack([chunk, chunk])
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def write_union_mask_video(path: str | Path, masks: np.ndarray, fps: float) -> None:
    """Write the union of ``masks`` ``[T, N, H, W]`` bool as a lossless FFV1 gray video."""
    from vfx.mask_formats.mask_video import mask_video_writer

    height, width = masks.shape[2:]
    with mask_video_writer(Path(path), size=(width, height), fps=fps) as writer:
        for frame_masks in masks:
            union = frame_masks.any(axis=0)  # [N, H, W] -> [H, W]
            writer.write_frame(union.astype(np.uint8) * 255)
