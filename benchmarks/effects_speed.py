"""Milliseconds per frame for every effect, as a one-layer graph (effect + compositing).

Each case renders a textured frame with two soft-edged objects through
``Graph.render_frame`` with one layer, so the figure includes region
evaluation, the effect itself and the blend into the running frame: what a
render pays per layer. Effects run at their default settings, plus a few
heavier settings worth knowing (blur radius 50, a 33-point .cube LUT).

    python benchmarks/effects_speed.py                    # 1080p, 10 timed frames each
    python benchmarks/effects_speed.py --size 640x360 --repeat 3 --only blur,recolor
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from effects import EFFECTS, EffectContext, get_effect
from vfx.graph import Graph, Layer

TARGET_MS = 20.0


def make_scene(width: int, height: int) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """A textured ``[H, W, 3]`` frame and two soft elliptical object masks ``[H, W]``."""
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    frame = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    frame = cv2.add(frame, rng.integers(0, 24, (height, width, 3), dtype=np.uint8))
    masks = {}
    for obj_id, (cx, cy, rx, ry) in enumerate([(0.35, 0.55, 0.12, 0.3), (0.7, 0.5, 0.1, 0.2)], 1):
        canvas = np.zeros((height, width), np.uint8)
        centre = (round(cx * width), round(cy * height))
        cv2.ellipse(canvas, centre, (round(rx * width), round(ry * height)), 0, 0, 360, 255, -1)
        soft = cv2.GaussianBlur(canvas, (0, 0), 2.0)
        masks[obj_id] = soft.astype(np.float32) / 255.0
    return frame, masks


def write_lut(path: Path, size: int = 33) -> Path:
    """A warm, contrasty 3D LUT (``size`` points per axis) as a .cube file."""
    grid = np.linspace(0.0, 1.0, size)
    rows = [f"LUT_3D_SIZE {size}"]
    for b in grid:
        for g in grid:
            for r in grid:
                curve = [v * v * (3 - 2 * v) for v in (r, g, b)]  # smoothstep contrast
                rows.append(f"{min(1, curve[0] * 1.05):.5f} {curve[1]:.5f} {curve[2] * 0.92:.5f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def cases(lut_path: Path) -> list[tuple[str, str, dict, str]]:
    """(label, effect, params, region) for every measured configuration."""
    regions = {"spotlight": "all", "overlay": "all", "outline": "all", "erase": "obj:2"}
    regions["cutout"] = "all"
    found = [(name, name, {}, regions.get(name, "~all")) for name in sorted(EFFECTS)]
    found += [
        ("blur radius=50", "blur", {"radius": 50}, "~all"),
        ("blur lens r=31", "blur", {"radius": 31, "kind": "lens"}, "~all"),
        ("recolor hue+temp", "recolor", {"hue": 40, "saturation": 1.2, "temperature": 0.3}, "all"),
        ("recolor .cube LUT", "recolor", {"saturation": 1, "lut": str(lut_path)}, "~all"),
        ("replace_bg light_wrap", "replace_background", {"light_wrap": 0.4}, "~all"),
        ("spotlight ellipse", "spotlight", {"shape": "ellipse"}, "all"),
    ]
    return found


def time_case(
    graph: Graph, frame: np.ndarray, masks: dict[int, np.ndarray], repeat: int
) -> tuple[float, float, float]:
    """(median wall, best wall, mean CPU) milliseconds per frame after one warm-up frame.

    CPU time counts every thread of this process; on a busy machine it is the
    steadier figure, and with ``--threads 1`` it approximates the idle wall time.
    """
    cache: dict = {}
    walls, cpus = [], []
    for index in range(repeat + 1):
        ctx = EffectContext.build(masks, frame_index=index, time=index / 30, cache=cache)
        cpu, wall = time.process_time(), time.perf_counter()
        graph.render_frame(frame, None, ctx)
        walls.append((time.perf_counter() - wall) * 1000.0)
        cpus.append((time.process_time() - cpu) * 1000.0)
    return statistics.median(walls[1:]), min(walls[1:]), statistics.mean(cpus[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT (default 1920x1080)")
    parser.add_argument("--repeat", type=int, default=10, help="timed frames per case")
    parser.add_argument("--only", default="", help="comma-separated effect names to run")
    parser.add_argument("--threads", type=int, default=0, help="OpenCV threads (0: its default)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    frame, masks = make_scene(width, height)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if args.threads > 0:
        cv2.setNumThreads(args.threads)
    threads = cv2.getNumThreads()
    print(f"effects at {width}x{height}, {args.repeat} frames each; OpenCV threads {threads}")
    print(f"{'case':<24} {'median ms':>10} {'best ms':>9} {'CPU ms':>8}  target {TARGET_MS:.0f} ms")
    baseline, _, baseline_cpu = time_case(Graph([]), frame, masks, args.repeat)
    print(f"{'(no layers: copy only)':<24} {baseline:>10.1f} {'':>9} {baseline_cpu:>8.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        lut = write_lut(Path(tmp) / "look.cube")
        for label, name, params, region in cases(lut):
            if only and name not in only:
                continue
            effect = get_effect(name).from_params(params)
            graph = Graph([Layer(effect, region=region)])
            if "lut" in params:
                graph.render_frame(frame, None, EffectContext.build(masks))  # builds the table once
            median, best, cpu = time_case(graph, frame, masks, args.repeat)
            flag = "" if median <= TARGET_MS else "  over target"
            print(f"{label:<24} {median:>10.1f} {best:>9.1f} {cpu:>8.1f}{flag}")


if __name__ == "__main__":
    main()
