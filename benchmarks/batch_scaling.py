"""`vfx batch` scaling: local pool vs one `vfx render` after another, Ray vs local, chunked 1080p.

Three measurements on generated clips (textured background, moving shapes, AAC tone):

a) 8 short renders (``--clips``; 320x240, 48 frames, ``background-blur`` over exact PNG masks)
   run one after another as separate ``vfx render`` processes, then as one ``vfx batch``
   process on the local executor (a pool of one worker per core). Target: batch <= 0.6x.
b) the same 8 jobs through :class:`vfx.batch.RayExecutor` on a local Ray (in this process):
   Ray start-up is timed on its own, then the batch; overhead = Ray batch / local batch - 1
   (the local batch also timed in this process, pool start included). Target: <= 15%.
c) a 1080p clip rendered from its mask video whole and as 3 chunks on 2 workers
   (``chunk_frames``), both as ``vfx batch`` runs; reports both times, how many cores each
   kept busy (CPU seconds of the run and its children / wall), and the largest per-frame
   mean absolute difference between the two outputs (levels). Measured for each length in
   ``--long-frames`` (72 and 240 frames by default: chunking is for long videos, and its
   fixed costs, one more process's start and file opening per chunk, weigh less there).
   ``--camera`` first re-encodes that clip as a camera or phone file (4:2:0, CRF 18, a keyframe
   every 2 s): the generated original is near-lossless 4:4:4 with one 2.8 MB keyframe, which
   each chunk decodes again (each time the file is opened) and decodes on from (no later
   keyframe to seek to).
   Target: chunked faster, every frame within 1 level (mean).

Wall-clock figures; on a shared or loaded machine they are only indicative.

    PYTHONPATH=. python benchmarks/batch_scaling.py [--clips 8] [--long-frames 72 240]
        [--camera] [--no-ray] [--only-chunked]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from vfx.batch import LocalExecutor, Manifest, RayExecutor, plan_jobs, run_batch
from vfx.demo.run import write_mask_folders
from vfx.demo.synthetic import write_scene_video, write_union_mask_video
from vfx.io.reader import open_video

VFX = [shutil.which("vfx") or "vfx"]


def _timed(command: list[str], cwd: Path) -> float:
    return _timed_cores(command, cwd)[0]


def _timed_cores(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, cores busy = CPU seconds of the command and its children / wall)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu / wall


def _short_jobs(folder: Path, count: int) -> list[dict]:
    (folder / "clips").mkdir()
    for index in range(count):
        masks = write_scene_video(folder / "clips" / f"c{index}.mp4", 320, 240, 48, 24,
                                  objects=1, background=None)  # fmt: skip
        write_mask_folders(masks, folder / "masks" / f"c{index}")
    return [
        {"input": f"clips/c{i}.mp4", "output": f"out/c{i}.mp4", "preset": "background-blur",
         "masks": f"masks/c{i}"}
        for i in range(count)
    ]  # fmt: skip


def _write_manifest(path: Path, jobs: list[dict]) -> None:
    import yaml

    path.write_text(yaml.safe_dump({"jobs": jobs}), encoding="utf-8")


def _fresh(folder: Path) -> None:
    shutil.rmtree(folder / "out", ignore_errors=True)
    (folder / "out").mkdir()


def measure_local(folder: Path, jobs: list[dict]) -> tuple[float, float]:
    """(sequential `vfx render` seconds, `vfx batch` local seconds)."""
    _fresh(folder)
    sequential = 0.0
    for job in jobs:
        command = [*VFX, "render", job["input"], "-o", job["output"], "--preset", job["preset"]]
        sequential += _timed([*command, "--masks", job["masks"], "--quiet"], folder)
    _fresh(folder)
    _write_manifest(folder / "jobs.yaml", jobs)
    batch = _timed([*VFX, "batch", "jobs.yaml", "--quiet"], folder)
    return sequential, batch


def measure_ray(folder: Path, jobs: list[dict]) -> tuple[float, float, float]:
    """(local batch s, Ray start-up s, Ray batch s), all in this process."""
    manifest = Manifest(jobs, folder)
    _fresh(folder)
    started = time.perf_counter()
    outcomes = run_batch(plan_jobs(manifest), LocalExecutor())
    local = time.perf_counter() - started
    assert all(o.status == "done" for o in outcomes), [o.error for o in outcomes]
    _fresh(folder)
    started = time.perf_counter()
    executor = RayExecutor()
    startup = time.perf_counter() - started
    started = time.perf_counter()
    outcomes = run_batch(plan_jobs(manifest), executor)
    ray_batch = time.perf_counter() - started
    assert all(o.status == "done" for o in outcomes), [o.error for o in outcomes]
    return local, startup, ray_batch


def _as_camera_file(clip: Path) -> None:
    """Re-encode ``clip`` in place as a camera or phone writes video: H.264 yuv420p, CRF 18,
    a keyframe every 2 s (the generated original is near-lossless 4:4:4 with one keyframe)."""
    from moviepy.config import FFMPEG_BINARY

    camera = clip.with_name(f"camera-{clip.name}")
    subprocess.run(
        [FFMPEG_BINARY, "-v", "error", "-i", str(clip), "-c:v", "libx264", "-crf", "18",
         "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "48", "-c:a", "copy", str(camera)],
        check=True,
    )  # fmt: skip
    camera.replace(clip)


def measure_chunked(folder: Path, frames: int, camera: bool) -> dict[str, float]:
    """Whole vs 3 chunks on 2 workers for a 1080p render: wall seconds, cores busy (CPU
    seconds / wall), and the largest per-frame mean |difference| between the outputs."""
    clip = folder / "long.mp4"
    masks = write_scene_video(clip, 1920, 1080, frames, 24, objects=1, background=None)
    if camera:
        _as_camera_file(clip)
    write_union_mask_video(folder / "long_mask.mkv", masks, 24)
    job = {"input": "long.mp4", "preset": "background-blur", "masks": "long_mask.mkv"}
    _write_manifest(folder / "whole.yaml", [{**job, "output": "whole.mp4"}])
    chunk = -(-frames // 3)
    _write_manifest(folder / "chunked.yaml",
                    [{**job, "output": "chunked.mp4", "chunk_frames": chunk}])  # fmt: skip
    whole, whole_cores = _timed_cores([*VFX, "batch", "whole.yaml", "--quiet", "--workers", "2"],
                                      folder)  # fmt: skip
    chunked, chunked_cores = _timed_cores(
        [*VFX, "batch", "chunked.yaml", "--quiet", "--workers", "2"], folder
    )
    with open_video(folder / "whole.mp4") as a, open_video(folder / "chunked.mp4") as b:
        diffs = [np.abs(x.rgb.astype(np.int16) - y.rgb).mean() for x, y in zip(a, b, strict=True)]
    for path in (clip, folder / "long_mask.mkv", folder / "whole.mp4", folder / "chunked.mp4"):
        path.unlink()
    return {"whole": whole, "whole_cores": whole_cores, "chunked": chunked,
            "chunked_cores": chunked_cores, "worst": max(diffs)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--long-frames", type=int, nargs="+", default=[72, 240],
                        help="lengths of the chunked 1080p clip (each is measured)")  # fmt: skip
    parser.add_argument("--camera", action="store_true",
                        help="c) on a camera-like file (H.264 4:2:0, CRF 18, keyframe every "
                        "2 s), not the near-lossless 4:4:4 original with one keyframe")  # fmt: skip
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray measurement")
    parser.add_argument("--only-chunked", action="store_true", help="measure c) only")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; wall-clock figures, indicative on a loaded machine")
    with tempfile.TemporaryDirectory(prefix="vfx-batch-bench-") as tmp:
        folder = Path(tmp)
        jobs = [] if args.only_chunked else _short_jobs(folder, args.clips)
        if jobs:
            sequential, batch = measure_local(folder, jobs)
            print(f"a) {args.clips} renders: one after another {sequential:.1f} s, vfx batch "
                  f"{batch:.1f} s -> {batch / sequential:.2f}x (target <= 0.6x)")  # fmt: skip
        if jobs and not args.no_ray:
            local, startup, ray_batch = measure_ray(folder, jobs)
            without = 100 * (ray_batch / local - 1)
            with_startup = 100 * ((ray_batch + startup) / local - 1)
            print(f"b) local executor {local:.1f} s, Ray {ray_batch:.1f} s (+{startup:.1f} s "
                  f"start-up) -> overhead {without:+.0f}% without start-up, "
                  f"{with_startup:+.0f}% with it (target <= 15%)")  # fmt: skip
        for frames in args.long_frames:
            c = measure_chunked(folder, frames, args.camera)
            kind = " (camera-like file)" if args.camera else ""
            print(f"c) 1080p x {frames} frames{kind}: whole {c['whole']:.1f} s "
                  f"({c['whole_cores']:.2f} cores busy), 3 chunks on 2 workers "
                  f"{c['chunked']:.1f} s ({c['chunked_cores']:.2f} cores busy) "
                  f"-> {c['chunked'] / c['whole']:.2f}x; "
                  f"worst frame differs by {c['worst']:.2f} levels (mean) "
                  "(targets: < 1x, <= 1 level)")  # fmt: skip


if __name__ == "__main__":
    main()
