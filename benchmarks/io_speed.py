"""Decode and write speed of vfx.io: frames per second per format.

Generates an H.264 clip (textured synthetic scene) of the requested size, then
times ``open_video`` (the packet index), decoding every frame to RGB, and
``write_video`` into each output format from frames already in memory (so the
figure is the writer's and the encoder's cost, not the frame producer's).

    python benchmarks/io_speed.py                       # 1080p, 120 frames
    python benchmarks/io_speed.py --size 320x240 --frames 24 --formats mp4,png
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from vfx.demo.synthetic import scene_frames
from vfx.io import open_video, write_video

# name -> (output file name, alpha)
FORMATS = {
    "mp4": ("out.mp4", False),
    "mov422": ("out.mov", False),
    "mov4444": ("alpha.mov", True),
    "webm": ("out.webm", False),
    "webm-alpha": ("alpha.webm", True),
    "png": ("png_frames", False),
    "png-alpha": ("png_alpha", True),
}


def make_clip(path: Path, width: int, height: int, frames: int, fps: int) -> list[np.ndarray]:
    """Write an H.264 yuv420p clip; return a few of its frames ``[H, W, 3]`` for the writers."""
    keep = []
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for index, scene in enumerate(scene_frames(width, height, frames, 3, None)):
            if index < 8:
                keep.append(scene.rgb)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(scene.rgb, format="rgb24")))
        container.mux(stream.encode())
    return keep


def cycled(frames: list[np.ndarray], count: int, alpha: bool) -> Iterator[np.ndarray]:
    """``count`` frames cycling through ``frames``; RGBA with a soft alpha ramp when ``alpha``."""
    if alpha:
        height, width = frames[0].shape[:2]
        ramp = np.linspace(0, 255, width, dtype=np.float32).astype(np.uint8)
        plane = np.broadcast_to(ramp, (height, width))[..., None]  # [H, W, 1]
        frames = [np.concatenate([f, plane], axis=2) for f in frames]  # [H, W, 4]
    return itertools.islice(itertools.cycle(frames), count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT (default 1920x1080)")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset")
    parser.add_argument("--preset", default="medium", help="x264 preset for mp4")
    parser.add_argument("--threads", type=int, default=None, help="encoder threads")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    with tempfile.TemporaryDirectory(prefix="vfx-io-speed-") as scratch:
        folder = Path(scratch)
        source = folder / "source.mp4"
        frames = make_clip(source, width, height, args.frames, args.fps)
        print(f"clip: {width}x{height}, {args.frames} frames, H.264 yuv420p")

        started = time.perf_counter()
        video = open_video(source)
        opened = time.perf_counter() - started
        started = time.perf_counter()
        count = sum(1 for _ in video)
        decoded = time.perf_counter() - started
        video.close()
        print(f"open (packet index): {opened * 1000:.1f} ms")
        print(f"decode to RGB:       {count / decoded:.1f} fps")

        for name in args.formats.split(","):
            target, alpha = FORMATS[name]
            result = write_video(
                folder / target,
                cycled(frames, args.frames, alpha),
                fps=args.fps,
                size=(width, height),
                frame_count=args.frames,
                alpha=alpha,
                preset=args.preset,
                threads=args.threads,
                progress=False,
            )
            print(f"write {name:<11} {result.fps_achieved:.1f} fps")


if __name__ == "__main__":
    main()
