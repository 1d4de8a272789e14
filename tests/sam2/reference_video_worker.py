"""Run one video-predictor scenario; shared by our tests and by the reference subprocess.

``run_scenario`` uses only the public predictor surface, which both implementations share, so
the same steps drive ours in-process and the official package in ``.venv-reference``. Run as a
script (``python -P reference_video_worker.py REQUEST.json``, from a directory outside the repo)
it builds the reference predictor, loads the given checkpoint and writes the results (and the
wall seconds of ``init_state`` and of every step, for benchmarks).

Steps (JSON): ``{"op": "points", "frame", "obj", "points"?, "labels"?, "box"?,
"clear_old_points"?}``, ``{"op": "mask", "frame", "obj", "mask": key in masks}``,
``{"op": "propagate", "start"?, "max"?, "reverse"?}``, ``{"op": "clear", "frame", "obj"}``,
``{"op": "remove", "obj"}``. Results: a list of ``(step, frame, obj_ids, logits [N,1,H,W])``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch


def run_scenario(predictor, video, steps, masks, timings=None):
    """Apply ``steps`` to a fresh state of ``video``; returns the outputs of every step.

    ``timings``, when a list, receives the wall seconds of ``init_state`` then of each step.
    """
    results = []
    with torch.inference_mode():
        clock = time.perf_counter()
        state = predictor.init_state(video)
        for index, step in enumerate(steps):
            if timings is not None:
                now = time.perf_counter()
                timings.append(now - clock)
                clock = now
            op = step["op"]
            if op == "points":
                out = predictor.add_new_points_or_box(
                    state,
                    frame_idx=step["frame"],
                    obj_id=step["obj"],
                    points=step.get("points"),
                    labels=step.get("labels"),
                    box=step.get("box"),
                    clear_old_points=step.get("clear_old_points", True),
                )
                results.append((index, out[0], list(out[1]), out[2].float().numpy().copy()))
            elif op == "mask":
                out = predictor.add_new_mask(state, step["frame"], step["obj"], masks[step["mask"]])
                results.append((index, out[0], list(out[1]), out[2].float().numpy().copy()))
            elif op == "propagate":
                for frame, ids, logits in predictor.propagate_in_video(
                    state,
                    start_frame_idx=step.get("start"),
                    max_frame_num_to_track=step.get("max"),
                    reverse=step.get("reverse", False),
                ):
                    results.append((index, frame, list(ids), logits.float().numpy().copy()))
            elif op == "clear":
                out = predictor.clear_all_prompts_in_frame(state, step["frame"], step["obj"])
                results.append((index, out[0], list(out[1]), out[2].float().numpy().copy()))
            elif op == "remove":
                ids, updated = predictor.remove_object(state, step["obj"])
                for frame, logits in updated:
                    results.append((index, frame, list(ids), logits.float().numpy().copy()))
            else:
                raise ValueError(f"unknown step {op!r}")
        if timings is not None:
            timings.append(time.perf_counter() - clock)
    return results


REFERENCE_PYTHON = Path(__file__).resolve().parents[2] / ".venv-reference" / "bin" / "python"


def run_reference(
    workdir, config_file, checkpoint, video, steps, masks_path=None, overrides=None,
    predictor_attrs=None, threads=None,
):
    """Run ``steps`` with the official predictor in ``.venv-reference`` (a subprocess started
    from ``workdir``, so it never imports our package); returns ``(results, timings)`` shaped
    like :func:`run_scenario`'s."""
    workdir = Path(workdir)
    request = {
        "config_file": config_file,
        "checkpoint": str(checkpoint),
        "overrides": overrides or {},
        "predictor_attrs": predictor_attrs or {},
        "video": str(video),
        "steps": steps,
        "masks": str(masks_path) if masks_path else None,
        "output": str(workdir / "reference"),
        "threads": threads or torch.get_num_threads(),
    }
    request_path = workdir / "request.json"
    request_path.write_text(json.dumps(request))
    subprocess.run([str(REFERENCE_PYTHON), "-P", str(Path(__file__).resolve()),
                    str(request_path)], cwd=workdir, check=True, capture_output=True)
    meta = json.loads((workdir / "reference.json").read_text())
    arrays = np.load(workdir / "reference.npz")
    results = [(step, frame, ids, arrays[f"logits_{i}"]) for i, (step, frame, ids) in
               enumerate(meta)]
    return results, json.loads((workdir / "reference.times.json").read_text())


def _fp32_memory_attention(module):
    """Wrap the reference's memory attention so bf16 stored memories are widened first (exact;
    on CPU the reference would otherwise fail when no fp32 object pointer joins the memory)."""
    forward = module.forward

    def widened(curr, memory, curr_pos=None, memory_pos=None, num_obj_ptr_tokens=0):
        return forward(curr=curr, memory=memory.float(), curr_pos=curr_pos,
                       memory_pos=memory_pos.float(), num_obj_ptr_tokens=num_obj_ptr_tokens)

    module.forward = widened


def main(request_path: str) -> None:
    """Build the reference video predictor from the request and write its results."""
    from sam2.build_sam import build_sam2_video_predictor

    with open(request_path) as handle:
        request = json.load(handle)
    torch.set_num_threads(request.get("threads", 2))
    overrides = [f"++model.{key}={value}" for key, value in request["overrides"].items()]
    predictor = build_sam2_video_predictor(
        request["config_file"], request["checkpoint"], device="cpu", hydra_overrides_extra=overrides
    )
    for key, value in request.get("predictor_attrs", {}).items():
        setattr(predictor, key, value)
    _fp32_memory_attention(predictor.memory_attention)
    masks = dict(np.load(request["masks"])) if request.get("masks") else {}
    timings: list[float] = []
    results = run_scenario(predictor, request["video"], request["steps"], masks, timings)
    arrays = {f"logits_{i}": logits for i, (_, _, _, logits) in enumerate(results)}
    np.savez(request["output"] + ".npz", **arrays)
    meta = [(step, frame, ids) for step, frame, ids, _ in results]
    with open(request["output"] + ".json", "w") as handle:
        json.dump(meta, handle)
    with open(request["output"] + ".times.json", "w") as handle:
        json.dump(timings, handle)


if __name__ == "__main__":
    main(sys.argv[1])
