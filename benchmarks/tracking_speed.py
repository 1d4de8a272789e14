"""Video tracking speed: ours vs the official sam2==1.1.0, same clip, weights and settings.

For 1 and 8 objects (clicked on frame 0), times ``init_state`` + prompts + ``propagate_in_video``
over a JPEG frame folder (decoded by Pillow on both sides), CPU, and prints the fps ratio
ours/reference (> 1: we are faster) for the exact fp32 mode. Then our opt-in fast modes, each
with its fps ratio against the reference's fp32 and its mask agreement (mean IoU over all
objects and frames) with our exact fp32 masks:

* ``bf16``: bf16 memory attention (bf16 matmuls, fp32 softmax) and bf16 image encoder;
* ``image512``: the model at ``image_size=512``;
* ``mem3``: only the 3 most recent non-conditioning memories.

    python benchmarks/tracking_speed.py                          # sam2.1 tiny, 1024, 8 frames
    python benchmarks/tracking_speed.py --frames 3 --image-size 512 --objects 1

With ``--repeat N`` ours and the reference alternate N times and the best time of each is
kept (shared machines drift by 10% or more between runs). Random weights unless
``--checkpoint`` is given (speed does not depend on the values; mask
agreement of the fast modes is more meaningful with real weights). Time on an idle machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "sam2")]

from reference_video_worker import REFERENCE_PYTHON, run_reference, run_scenario  # noqa: E402

from sam2.build_sam import build_sam2_video_predictor  # noqa: E402
from sam2.testing import write_random_checkpoint  # noqa: E402
from vfx.demo.synthetic import scene_frames  # noqa: E402

MODES = {
    "bf16": ({"image_encoder_precision": "bf16"}, {"tracking_precision": "bf16"}),
    "image512": ({"image_size": 512}, {}),
    "mem3": ({}, {"memory_frames": 3}),
}


def _clip(folder: Path, frames: int, width: int, height: int) -> None:
    for index, frame in enumerate(
        scene_frames(width=width, height=height, frames=frames, objects=3, background=None, seed=0)
    ):
        Image.fromarray(frame.rgb).save(folder / f"{index:05d}.jpg", quality=95)


def _steps(objects: int, width: int, height: int) -> list[dict]:
    """One click per object on frame 0, spread over a grid, then one forward pass."""
    rng = np.random.default_rng(1)
    steps: list[dict] = [
        {
            "op": "points",
            "frame": 0,
            "obj": k + 1,
            "points": [
                [float(rng.uniform(0.1, 0.9) * width), float(rng.uniform(0.1, 0.9) * height)]
            ],
            "labels": [1],
        }
        for k in range(objects)
    ]
    return [*steps, {"op": "propagate"}]


def _ours(
    config: str, checkpoint: Path, video: Path, steps: list[dict], build: dict, attrs: dict
) -> tuple[list, float]:
    predictor = build_sam2_video_predictor(
        config, checkpoint, device="cpu", fill_hole_area=0, **build
    )
    for key, value in attrs.items():
        setattr(predictor, key, value)
    timings: list[float] = []
    results = run_scenario(predictor, str(video), steps, {}, timings)
    return results, sum(timings)


def _mean_iou(results: list, baseline: list) -> float:
    ious = []
    for (*_, mine), (*_, base) in zip(results, baseline, strict=True):
        a, b = mine > 0, base > 0
        union = np.logical_or(a, b).sum(axis=(1, 2, 3))
        inter = np.logical_and(a, b).sum(axis=(1, 2, 3))
        ious += [1.0 if u == 0 else i / u for i, u in zip(inter, union, strict=True)]
    return float(np.mean(ious))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/sam2.1/sam2.1_hiera_t.yaml")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--objects", default="1,8", help="comma-separated object counts")
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--modes", default=",".join(MODES), help="fast modes to time ('' none)")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternate ours/reference N times, keep the best"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        video = tmp / "frames"
        video.mkdir()
        _clip(video, args.frames, args.width, args.height)
        checkpoint = args.checkpoint or write_random_checkpoint(tmp / "random.pt", args.config)
        base = {"image_size": args.image_size}
        print(
            f"{args.config}  image_size={args.image_size}  {args.frames} frames "
            f"{args.width}x{args.height}  threads={torch.get_num_threads()}"
        )
        for objects in [int(n) for n in args.objects.split(",")]:
            steps = _steps(objects, args.width, args.height)
            ours_s = ref_s = float("inf")
            reference = None
            for round_index in range(args.repeat):  # ours and the reference alternate
                exact, seconds = _ours(args.config, checkpoint, video, steps, base, {})
                ours_s = min(ours_s, seconds)
                if not args.skip_reference and REFERENCE_PYTHON.exists():
                    workdir = tmp / f"ref{objects}-{round_index}"
                    workdir.mkdir()
                    reference, times = run_reference(
                        workdir,
                        args.config,
                        checkpoint,
                        video,
                        steps,
                        overrides={"image_size": args.image_size},
                        predictor_attrs={"fill_hole_area": 0},
                    )
                    ref_s = min(ref_s, sum(times))
            line = f"{objects} object(s): ours fp32 {args.frames / ours_s:.3f} fps"
            if reference is None:
                ref_s = None
            else:
                line += (
                    f", reference fp32 {args.frames / ref_s:.3f} fps, ratio ours/reference "
                    f"{ref_s / ours_s:.2f}x, mask IoU vs reference "
                    f"{_mean_iou(exact, reference):.4f}"
                )
            print(line, flush=True)
            for mode in [m for m in args.modes.split(",") if m]:
                build, attrs = MODES[mode]
                fast, fast_s = _ours(
                    args.config, checkpoint, video, steps, {**base, **build}, attrs
                )
                ratio = f"{ref_s / fast_s:.2f}x vs reference fp32, " if ref_s else ""
                print(
                    f"  {mode}: {args.frames / fast_s:.3f} fps, {ratio}"
                    f"{ours_s / fast_s:.2f}x vs ours fp32, mask IoU vs ours fp32 "
                    f"{_mean_iou(fast, exact):.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
