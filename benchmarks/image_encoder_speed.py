"""Image-encoder speed per model size: ours vs the official sam2==1.1.0, same run, same weights.

Times ``forward_image`` (Hiera trunk + FPN neck + the decoder's high-res projections) on one
``[1, 3, S, S]`` input, fp32 on the CPU, for our exact mode and for the reference (through
tests/sam2/reference_bridge.py in .venv-reference), and the ratio reference/ours (> 1 means we
are faster). Then our opt-in bf16 encoder mode: its time and its agreement with fp32 (relative
error of the image embedding, IoU of the masks it yields for a few clicks).

    python benchmarks/image_encoder_speed.py --sizes tiny --repeats 2
    python benchmarks/image_encoder_speed.py            # all four sizes, SAM 2.1

Random weights (no download); the speed of these layers does not depend on the values. The
reference runs under .venv-reference's own torch (printed per row), so the ratio also reflects
any difference between the two torch builds. The bf16 mode pays off only on CPUs with native
bf16 matmuls (avx512_bf16 / AMX); elsewhere PyTorch emulates bf16 and it is slower.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "sam2")]

from reference_bridge import reference_available, run_reference  # noqa: E402

from sam2.build_sam import build_sam2  # noqa: E402
from sam2.checkpoint import load_checkpoint  # noqa: E402
from sam2.configs import OFFICIAL_CONFIG_FILES, SIZES  # noqa: E402
from sam2.sam2_image_predictor import SAM2ImagePredictor  # noqa: E402
from sam2.testing import random_state_dict  # noqa: E402

CLICKS = [(0.5, 0.5), (0.3, 0.4), (0.7, 0.6), (0.25, 0.75)]


def _time_forward(model, image: torch.Tensor, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` ``model.forward_image(image)`` calls after a warm-up."""
    times = []
    with torch.inference_mode():
        model.forward_image(image)
        for _ in range(repeats):
            start = time.perf_counter()
            model.forward_image(image)
            times.append(time.perf_counter() - start)
    return times


def _scene(size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    image = (rng.random((size, size, 3)) * 80 + 30).astype(np.uint8)
    image[size // 5 : size // 2, size // 4 : 3 * size // 5] = (220, 190, 60)
    return image


def _agreement(fp32_model, bf16_model, size: int) -> tuple[float, float]:
    """(relative L2 error of the bf16 image embedding, mean mask IoU over a few clicks)."""
    image = _scene(size)
    outputs = []
    for model in (fp32_model, bf16_model):
        predictor = SAM2ImagePredictor(model)
        predictor.set_image(image)
        masks = [
            predictor.predict(
                point_coords=[[x * size, y * size]], point_labels=[1], multimask_output=False
            )[0][0]
            > 0
            for x, y in CLICKS
        ]
        outputs.append((predictor.get_image_embedding().clone(), masks))
    (emb32, masks32), (emb16, masks16) = outputs
    rel_error = float((emb16 - emb32).norm() / emb32.norm())
    ious = [
        float((a & b).sum()) / max(float((a | b).sum()), 1.0)
        for a, b in zip(masks32, masks16, strict=True)
    ]
    return rel_error, float(np.mean(ious))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma list of " + "/".join(SIZES))
    parser.add_argument("--version", default="2.1", choices=["2.0", "2.1"])
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per round")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternate ours/reference this many times"
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the official model")
    parser.add_argument("--no-bf16", action="store_true", help="skip the bf16 mode")
    args = parser.parse_args()

    prefix = "sam2.1" if args.version == "2.1" else "sam2"
    use_reference = not args.no_reference and reference_available()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"input 1x3x{args.image_size}x{args.image_size}, "
        f"median of {args.rounds} rounds x {args.repeats} passes"
    )
    header = f"{'model':<24}{'ours fp32':>11}{'reference':>11}{'ratio':>8}"
    header += f"{'ours bf16':>11}{'bf16 gain':>11}{'emb rel err':>13}{'mask IoU':>10}"
    print(header)
    for size in args.sizes.split(","):
        name = f"{prefix}_hiera_{size}"
        state = random_state_dict(name)
        image = torch.randn(
            1, 3, args.image_size, args.image_size, generator=torch.Generator().manual_seed(0)
        )
        model = build_sam2(name, device="cpu", image_size=args.image_size)
        load_checkpoint(model, state)
        ours_times, reference_times, reference_torch = [], [], None
        for _ in range(args.rounds):
            # Alternating rounds spread any change in machine load over both sides.
            ours_times += _time_forward(model, image, args.repeats)
            if use_reference and args.image_size == 1024:
                request = {
                    "kind": "image_encoder_timing",
                    "config_file": OFFICIAL_CONFIG_FILES[name],
                    "state_dict": state,
                    "image": image,
                    "repeats": args.repeats,
                    "warmup": 1,
                    "threads": torch.get_num_threads(),
                }
                response = run_reference([request])[0]
                reference_times += response["times"]
                reference_torch = response["torch"]
        ours = statistics.median(ours_times)
        row = f"{name:<24}{ours:>10.2f}s"
        if reference_times:
            reference = statistics.median(reference_times)
            row += f"{reference:>10.2f}s{reference / ours:>8.2f}"
        else:
            row += f"{'-':>11}{'-':>8}"
        if not args.no_bf16:
            bf16 = build_sam2(
                name, device="cpu", image_size=args.image_size, image_encoder_precision="bf16"
            )
            load_checkpoint(bf16, state)
            fast = statistics.median(_time_forward(bf16, image, args.repeats))
            rel_error, iou = _agreement(model, bf16, args.image_size)
            row += f"{fast:>10.2f}s{ours / fast:>10.2f}x{rel_error:>13.4f}{iou:>10.4f}"
        if reference_torch:
            row += f"   (reference torch {reference_torch})"
        print(row, flush=True)


if __name__ == "__main__":
    main()
