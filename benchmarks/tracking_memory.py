"""Peak memory of video tracking vs video length: RAM must stay flat as the video grows.

Tracks one object (clicked on frame 0) through an H.264 clip of N frames and of 4N frames, each
in a fresh process, and prints the peak RSS of both and their ratio (target <= 1.15). Frames are
decoded on demand, features sit in a small LRU and the memory bank is pruned to what attention
can still read, so the ratio stays near 1. Use ``image_size=512`` to keep it quick.

    python benchmarks/tracking_memory.py                  # N = 16, sam2.1 tiny at 512
    python benchmarks/tracking_memory.py --frames 8 --objects 2

Random weights (memory does not depend on the values).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]


def _child(args: argparse.Namespace) -> None:
    """Track ``args.video`` and print ``{"frames": n, "peak_rss_mib": m}``."""
    import torch

    from sam2.build_sam import build_sam2_video_predictor

    predictor = build_sam2_video_predictor(
        args.config, args.checkpoint, device="cpu", image_size=args.image_size
    )
    frames = 0
    with torch.inference_mode():
        state = predictor.init_state(args.video)
        for k in range(args.objects):
            x = state.video_width * (k + 1) / (args.objects + 1)
            predictor.add_new_points_or_box(
                state, 0, k + 1, points=[[x, state.video_height / 2]], labels=[1]
            )
        for _ in predictor.propagate_in_video(state):
            frames += 1
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"frames": frames, "peak_rss_mib": peak_kib / 1024}))


def _measure(args: argparse.Namespace, video: Path, checkpoint: Path) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--video",
        str(video),
        "--checkpoint",
        str(checkpoint),
        "--config",
        args.config,
        "--image-size",
        str(args.image_size),
        "--objects",
        str(args.objects),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/sam2.1/sam2.1_hiera_t.yaml")
    parser.add_argument("--frames", type=int, default=16, help="N (the long run has 4N)")
    parser.add_argument("--objects", type=int, default=1)
    parser.add_argument("--image-size", type=int, default=512)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--video", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    from sam2.testing import write_random_checkpoint
    from vfx.demo.synthetic import write_scene_video

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        checkpoint = write_random_checkpoint(tmp / "random.pt", args.config)
        peaks = []
        for length in (args.frames, 4 * args.frames):
            video = tmp / f"clip{length}.mp4"
            write_scene_video(video, width=320, height=240, frames=length, audio=False)
            result = _measure(args, video, checkpoint)
            peaks.append(result["peak_rss_mib"])
            print(
                f"{result['frames']} frames: peak RSS {result['peak_rss_mib']:.0f} MiB", flush=True
            )
        print(
            f"peak RSS at {4 * args.frames} frames / at {args.frames} frames: "
            f"{peaks[1] / peaks[0]:.3f} (image_size={args.image_size}, "
            f"{args.objects} object(s))"
        )


if __name__ == "__main__":
    main()
