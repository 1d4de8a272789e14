"""Automatic mask generation: ours vs the official sam2==1.1.0, same image, weights, settings.

Speed: ``generate(image)`` with the default settings (32x32 points, no crop layers) on a
1280x720 scene, CPU fp32, best of ``--repeat`` calls on each side, each side's calls in one
process (the first of them cold, on both sides; the reference runs through
tests/sam2/reference_bridge.py in .venv-reference); prints the ratio reference/ours (> 1: we
are faster; target 1.2).

Memory: peak resident memory of a whole process running ``generate`` with 64x64 points and one
crop layer on a 3840x2160 frame (``--memory``), ours in a child process; ``--memory-reference``
also runs the reference (it upsamples every batch of 64 x 3 masks to full size: tens of GiB at
4K, so it is opt-in). ``--memory-grid N`` shrinks the grid for a quick check: our peak should
not grow with N (the masks kept are RLEs; binary masks are only built for the output records,
so ``--output-mode`` binary_mask adds one H x W byte mask per record).

    python benchmarks/amg_speed.py                       # speed, sam2.1 tiny
    python benchmarks/amg_speed.py --points-per-side 8 --repeat 1    # a quick check
    python benchmarks/amg_speed.py --memory --memory-grid 16 --no-speed

Weights are seeded random ones (``--weights confident``, the default, gives a decoder sure of
itself so that masks pass the default thresholds as with real weights; ``random`` masks mostly
fail them, which favours us). Time on an idle machine: figures under load are indicative only.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "sam2")]

from reference_bridge import reference_available, run_reference  # noqa: E402

from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator  # noqa: E402
from sam2.build_sam import build_sam2  # noqa: E402
from sam2.configs import OFFICIAL_CONFIG_FILES  # noqa: E402
from sam2.testing import confident_state_dict, random_state_dict  # noqa: E402
from vfx.demo.synthetic import scene_frames  # noqa: E402


def _image(width: int, height: int) -> np.ndarray:
    """A textured scene with a few moving shapes (its first frame), ``[H, W, 3]`` uint8."""
    frame = next(scene_frames(width, height, frames=1, objects=4, background=None, seed=3))
    return frame.rgb


def _state(model: str, weights: str) -> dict[str, torch.Tensor]:
    return (confident_state_dict if weights == "confident" else random_state_dict)(model)


def _generator(model: str, weights: str, **kwargs) -> SAM2AutomaticMaskGenerator:
    sam = build_sam2(model, device="cpu")
    sam.load_state_dict(_state(model, weights))
    return SAM2AutomaticMaskGenerator(sam, **kwargs)


def _reference_request(model: str, weights: str, image: np.ndarray, kwargs: dict, repeats=1):
    return {
        "kind": "automatic_masks_timing",
        "config_file": OFFICIAL_CONFIG_FILES[model],
        "state_dict": _state(model, weights),
        "generator_kwargs": kwargs,
        "image": image,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
    }


def _speed(args: argparse.Namespace) -> None:
    image = _image(1280, 720)
    kwargs = {"points_per_side": args.points_per_side}
    generator = _generator(args.model, args.weights, **kwargs)
    # Both sides: best of ``repeat`` calls in one process, the first of them cold.
    ours, masks = [], {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        masks["ours"] = len(generator.generate(image))
        ours.append(time.perf_counter() - start)
    reference = []
    if not args.no_reference and reference_available():
        request = _reference_request(args.model, args.weights, image, kwargs, args.repeat)
        response = run_reference([request], timeout=24 * 3600)[0]
        reference, masks["reference"] = response["times"], response["masks"]
    grid = f"{args.points_per_side}x{args.points_per_side}"
    row = f"{args.model} 1280x720, {grid} points, {args.weights} weights, "
    row += f"{torch.get_num_threads()} threads: ours {min(ours):.2f}s ({masks['ours']} masks)"
    if reference:
        row += f", reference {min(reference):.2f}s ({masks['reference']} masks), "
        row += f"ratio reference/ours {min(reference) / min(ours):.2f}"
    print(row)


def _memory_kwargs(grid: int, output_mode: str) -> dict:
    return {"points_per_side": grid, "crop_n_layers": 1, "output_mode": output_mode}


def _child_memory(args: argparse.Namespace) -> None:
    """Runs in a child process: one 4K generate, then prints peak RSS as JSON."""
    image = _image(3840, 2160)
    generator = _generator(
        args.model, args.weights, **_memory_kwargs(args.memory_grid, args.output_mode)
    )
    start = time.perf_counter()
    count = len(generator.generate(image))
    print(json.dumps({
        "seconds": time.perf_counter() - start,
        "masks": count,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))  # fmt: skip


def _memory(args: argparse.Namespace) -> None:
    command = [sys.executable, __file__, "--child-memory", "--model", args.model, "--weights",
               args.weights, "--memory-grid", str(args.memory_grid), "--output-mode",
               args.output_mode]  # fmt: skip
    child = subprocess.run(command, capture_output=True, text=True, check=True)
    ours = json.loads(child.stdout.strip().splitlines()[-1])
    setting = f"3840x2160, {args.memory_grid}x{args.memory_grid} points + 1 crop layer"
    print(f"{args.model} {setting}, {args.output_mode}: ours peak RSS "
          f"{ours['peak_rss_kib'] / 2**20:.2f} GiB, {ours['seconds']:.1f}s, "
          f"{ours['masks']} masks")  # fmt: skip
    if args.memory_reference and reference_available():
        kwargs = _memory_kwargs(args.memory_grid, args.output_mode)
        request = _reference_request(args.model, args.weights, _image(3840, 2160), kwargs)
        response = run_reference([request], timeout=24 * 3600)[0]
        print(f"{args.model} {setting}, {args.output_mode}: reference peak RSS "
              f"{response['peak_rss_kib'] / 2**20:.2f} GiB, {response['times'][0]:.1f}s, "
              f"{response['masks']} masks")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="sam2.1_hiera_tiny")
    parser.add_argument("--weights", choices=("confident", "random"), default="confident")
    parser.add_argument("--repeat", type=int, default=2, help="calls per side; the best counts")
    parser.add_argument("--points-per-side", type=int, default=32, help="grid for the speed run")
    parser.add_argument("--no-reference", action="store_true", help="skip the official model")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed comparison")
    parser.add_argument("--memory", action="store_true", help="measure peak memory at 4K")
    parser.add_argument("--memory-grid", type=int, default=64, help="points per side at 4K")
    parser.add_argument("--memory-reference", action="store_true", help="the reference at 4K too")
    parser.add_argument("--output-mode", default="coco_rle",
                        choices=("binary_mask", "uncompressed_rle", "coco_rle"))  # fmt: skip
    parser.add_argument("--child-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        _child_memory(args)
        return
    if not args.no_speed:
        _speed(args)
    if args.memory:
        _memory(args)


if __name__ == "__main__":
    main()
