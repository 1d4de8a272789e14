"""Run the issue-14 hostile and data-loss cases against a vfx checkout and print the outcome.

Usage: python scripts/safety_cases.py [CODE_ROOT] [--only NAME,...]

CODE_ROOT (default: this checkout) is put first on PYTHONPATH, so the same cases can be
run against an older tree to record before/after behaviour. Each case prints its exit
code, seconds, peak RSS of the vfx process, the last stderr line (cut to 160 characters)
and what it checks afterwards (user files intact, nothing left on a full disk...).
Needs root for the tmpfs cases (they print "skipped" otherwise). Every vfx run is
limited to 60 s and 4 GiB of address space, so a bomb cannot take the machine down.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parents[1]
W, H, T = 160, 96, 24


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


# Runs the CLI and records its own peak RSS in the file named by argv[1], however it ends.
_MEASURED = """
import atexit, sys
out = sys.argv.pop(1)
peak = lambda: open("/proc/self/status").read().split("VmHWM:")[1].split()[0]  # kB, own peak
atexit.register(lambda: open(out, "w").write(str(peak())))
from vfx.cli import main
main(sys.argv[1:])
"""


def vfx(root: Path, cwd: Path, *args: str, env: dict | None = None) -> dict:
    """Run the vfx CLI with ``root`` on PYTHONPATH; exit code, seconds, peak RSS, last line."""
    full_env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1",
                "VFX_CACHE_DIR": str(cwd / "cache"), **(env or {})}  # fmt: skip
    rss_file = cwd / ".rss"
    rss_file.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _MEASURED, str(rss_file), *args],
                              capture_output=True, text=True, cwd=cwd, env=full_env, timeout=60,
                              preexec_fn=_limit)  # fmt: skip
        code, err = done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        code, err = "timeout", "(killed after 60 s)"
    usage = int(rss_file.read_text()) / 1024 if rss_file.exists() else -1
    lines = [line for line in err.splitlines() if line.strip()]
    traceback = any(line.startswith("Traceback") for line in lines)
    return {"code": code, "s": round(time.perf_counter() - started, 1), "peak_mb": round(usage),
            "traceback": traceback, "last": (lines[-1] if lines else "")[:160]}  # fmt: skip


def tmpfs(folder: Path, size: str, ro: bool = False) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if ro else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0  # fmt: skip


def umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def scene(work: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(HERE))
    from vfx.demo.run import write_mask_folders
    from vfx.demo.synthetic import write_scene_video

    video = work / "scene.mp4"
    masks = write_scene_video(video, W, H, T, 24, objects=2, background=None)
    write_mask_folders(masks, work / "masks")
    return video, work / "masks"


def user_folder(path: Path) -> dict:
    path.mkdir(parents=True, exist_ok=True)
    (path / "notes.txt").write_text("mine")
    return contents(path)


def contents(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def render(video: Path, masks: Path | str, out: str, *extra: str) -> list[str]:
    return ["render", str(video), "-o", out, "--preset", "background-blur", "--masks",
            str(masks), "--quiet", *extra]  # fmt: skip


CASES: dict[str, Callable[[Path, Path, Path, Path], dict]] = {}


def case(fn: Callable[[Path, Path, Path, Path], dict]) -> Callable:
    CASES[fn.__name__] = fn
    return fn


@case
def force_render_onto_folder(root, work, video, masks):
    folder = work / "some.mov"
    before = user_folder(folder)
    shutil.copy(video, folder / "scene.mp4")
    before = contents(folder)
    r = vfx(root, work, *render(folder / "scene.mp4", masks, "some.mov", "--force"))
    return {**r, "user_files_intact": folder.is_dir() and contents(folder) == before}


@case
def force_export_onto_folder_holding_masks(root, work, video, masks):
    folder = work / "exp"
    shutil.copytree(masks, folder / "masks")
    before = user_folder(folder)
    before = contents(folder)
    r = vfx(
        root,
        work,
        "masks",
        "export",
        "--masks",
        "exp/masks",
        "-o",
        "exp",
        "--format",
        "png",
        "--force",
    )
    return {**r, "user_files_intact": folder.is_dir() and contents(folder) == before}


@case
def force_track_onto_folder(root, work, video, masks):
    before = user_folder(work / "trk")
    r = vfx(root, work, "track", str(video), "-o", "trk", "--point", "0:40,40", "--force")
    return {**r, "user_files_intact": contents(work / "trk") == before}


@case
def force_demo_onto_folder(root, work, video, masks):
    before = user_folder(work / "dem")
    r = vfx(root, work, "demo", "-o", "dem", "--force", "--no-sam2", "--quiet")
    return {**r, "user_files_intact": (work / "dem").is_dir() and contents(work / "dem") == before}


def _full_disk(root, work, args_for: Callable[[Path], list[str]]) -> dict:
    disk = work / "disk"
    if not tmpfs(disk, "12k"):
        return {"skipped": "cannot mount tmpfs"}
    try:
        r = vfx(root, work, *args_for(disk))
        return {**r, "left_on_disk": sorted(p.name for p in disk.iterdir())}
    finally:
        umount(disk)


@case
def full_disk_mp4(root, work, video, masks):
    return _full_disk(root, work, lambda d: render(video, masks, str(d / "o.mp4")))


@case
def full_disk_webm(root, work, video, masks):
    return _full_disk(root, work, lambda d: render(video, masks, str(d / "o.webm")))


@case
def full_disk_png_folder(root, work, video, masks):
    return _full_disk(root, work, lambda d: render(video, masks, str(d / "frames")))


@case
def full_disk_masks_export(root, work, video, masks):
    return _full_disk(root, work, lambda d: ["masks", "export", "--masks", str(masks), "-o",
                                             str(d / "m"), "--format", "png"])  # fmt: skip


@case
def png_pattern_in_cwd(root, work, video, masks):
    return vfx(root, work, *render(video, masks, "cut_%05d.png"))


@case
def png_pattern_in_new_folder(root, work, video, masks):
    r = vfx(root, work, *render(video, masks, "seq/cut_%05d.png"))
    return {
        **r,
        "frames": len(list((work / "seq").glob("*.png"))) if (work / "seq").is_dir() else 0,
    }


@case
def png_folder_onto_existing_file(root, work, video, masks):
    (work / "existing").write_text("mine")
    r = vfx(root, work, *render(video, masks, "existing", "--force"))
    return {**r, "file_intact": (work / "existing").is_file()}


@case
def unwritable_output_folder(root, work, video, masks):
    ro = work / "ro"
    if not tmpfs(ro, "64k", ro=True):
        return {"skipped": "cannot mount tmpfs"}
    try:
        return vfx(root, work, *render(video, masks, "ro/out.mp4"))
    finally:
        umount(ro)


@case
def asset_traversal_presets_show(root, work, video, masks):
    preset = work / "evil.yaml"
    preset.write_text("name: evil\nlayers:\n  - effect: replace_background\n    region: ~all\n"
                      "    params: {source: 'asset:../../../escaped'}\n")  # fmt: skip
    before = sorted(p for p in work.rglob("*"))
    r = vfx(root, work, "presets", "show", "evil.yaml")
    return {
        **r,
        "new_paths": [str(p.relative_to(work)) for p in sorted(work.rglob("*")) if p not in before][
            :5
        ],
    }


@case
def presets_show_writes_nothing(root, work, video, masks):
    before = sorted(p for p in work.rglob("*"))
    r = vfx(root, work, "presets", "show", "background-replace-video")
    return {
        **r,
        "new_paths": [str(p.relative_to(work)) for p in sorted(work.rglob("*")) if p not in before][
            :3
        ],
    }


_BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n"
                for i in range(10))  # fmt: skip


@case
def yaml_alias_bomb_preset(root, work, video, masks):
    (work / "bomb.yaml").write_text(
        _BOMB + "name: b\nlayers: [{effect: blur, params: {radius: *l9}}]\n"
    )
    return vfx(root, work, "presets", "show", "bomb.yaml")


@case
def yaml_alias_bomb_prompts(root, work, video, masks):
    (work / "bomb.yaml").write_text(_BOMB + "objects: *l9\n")
    return vfx(root, work, "render", str(video), "-o", "o.mp4", "--preset", "background-blur",
               "--prompts", "bomb.yaml")  # fmt: skip


@case
def yaml_deep_nesting(root, work, video, masks):
    (work / "deep.yaml").write_text("a: " + "[" * 20000 + "]" * 20000)
    return vfx(root, work, "presets", "show", "deep.yaml")


def _coco(work: Path, name: str, *, width=W, height=H, ident=1, counts=None, size=None) -> Path:
    rle = {"size": size or [H, W], "counts": [W * H] if counts is None else counts}
    doc = {"videos": [{"id": 1, "width": width, "height": height, "length": T}],
           "annotations": [{"id": ident, "segmentations": [rle] * T}]}  # fmt: skip
    (work / name).write_text(json.dumps(doc))
    return work / name


@case
def coco_40000_square_bomb(root, work, video, masks):
    path = _coco(
        work, "b.json", width=40000, height=40000, size=[40000, 40000], counts=[1600000000]
    )
    return vfx(root, work, *render(video, path, "o.mp4"))


@case
def coco_non_numeric_id(root, work, video, masks):
    return vfx(root, work, *render(video, _coco(work, "i.json", ident="x"), "o.mp4"))


@case
def coco_string_width(root, work, video, masks):
    return vfx(root, work, *render(video, _coco(work, "w.json", width="160"), "o.mp4"))


@case
def coco_negative_runs(root, work, video, masks):
    return vfx(root, work, *render(video, _coco(work, "n.json", counts=[-5, W * H + 5]), "o.mp4"))


@case
def npz_string_dtype(root, work, video, masks):
    np.savez(work / "s.npz", masks=np.full((T, H, W), "a"))
    return vfx(root, work, *render(video, work / "s.npz", "o.mp4"))


@case
def npz_2d_object_ids(root, work, video, masks):
    np.savez(work / "i.npz", masks=np.zeros((T, 1, H, W), np.uint8), object_ids=[[1]])
    return vfx(root, work, *render(video, work / "i.npz", "o.mp4"))


def _store(root: Path, work: Path, edit: Callable[[dict], None]) -> Path:
    folder = work / "store"
    meta = {"format": "vfx-masklets", "version": 1, "complete": True, "width": W, "height": H,
            "fps": 24, "frame_count": T, "chunk_frames": 32, "objects": [{"id": 1, "name": "a"}],
            "encoding": "uint8-deflate-per-frame"}  # fmt: skip
    (folder / "objects" / "1").mkdir(parents=True)
    blobs = [zlib.compress(bytes(W * H)) for _ in range(T)]
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype("<u4")
    header = b"VFXM" + T.to_bytes(4, "little") + offsets.tobytes()
    (folder / "objects" / "1" / "000000.bin").write_bytes(header + b"".join(blobs))
    edit(meta)
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


@case
def store_chunk_frames_zero(root, work, video, masks):
    return vfx(
        root, work, *render(video, _store(root, work, lambda m: m.update(chunk_frames=0)), "o.mp4")
    )


@case
def store_missing_key(root, work, video, masks):
    return vfx(root, work, *render(video, _store(root, work, lambda m: m.pop("width")), "o.mp4"))


@case
def store_chunk_inflates_to_1gb(root, work, video, masks):
    folder = _store(root, work, lambda m: None)
    chunk = folder / "objects" / "1" / "000000.bin"
    blobs = [zlib.compress(bytes(1 << 30), 9)] + [zlib.compress(bytes(W * H))] * (T - 1)
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype("<u4")
    chunk.write_bytes(b"VFXM" + T.to_bytes(4, "little") + offsets.tobytes() + b"".join(blobs))
    return vfx(root, work, *render(video, folder, "o.mp4"))


@case
def sidecar_string_fps(root, work, video, masks):
    shutil.copytree(masks / "1", work / "m" / "1")
    side = {"format": "vfx-masks", "version": 1, "export": "png", "layout": "objects",
            "objects": [{"id": 1, "name": "a"}], "fps": "24"}  # fmt: skip
    (work / "m" / "vfx-masks.json").write_text(json.dumps(side))
    return vfx(root, work, *render(video, work / "m", "o.mp4"))


@case
def fifo_as_masks(root, work, video, masks):
    os.mkfifo(work / "pipe")
    return vfx(root, work, *render(video, work / "pipe", "o.mp4"))


@case
def device_cuda_on_cpu_build(root, work, video, masks):
    return vfx(root, work, "render", str(video), "-o", "o.mp4", "--preset", "background-blur",
               "--point", "0:40,40", "--device", "cuda")  # fmt: skip


@case
def mixed_8_and_16_bit_masks(root, work, video, masks):
    shutil.copytree(masks / "1", work / "mixed")
    img = cv2.imread(str(work / "mixed" / "00005.png"), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(work / "mixed" / "00005.png"), img.astype(np.uint16) * 257)
    r = vfx(root, work, *render(video, work / "mixed", "o.mp4"))
    return {**r, "output_written": (work / "o.mp4").exists()}


@case
def float_tiff_masks(root, work, video, masks):
    (work / "f").mkdir()
    for t in range(T):
        img = cv2.imread(str(masks / "1" / f"{t:05d}.png"), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(work / "f" / f"{t:05d}.tiff"), img.astype(np.float32) / 255)
    r = vfx(root, work, *render(video, work / "f", "o.mp4"))
    return {**r, "output_written": (work / "o.mp4").exists()}


@case
def object_id_zero_folder(root, work, video, masks):
    shutil.copytree(masks / "1", work / "objs" / "0")
    r = vfx(root, work, *render(video, work / "objs", "o.mp4"))
    return {**r, "output_written": (work / "o.mp4").exists()}


@case
def set_subject_objects_absent(root, work, video, masks):
    shutil.copytree(masks / "1", work / "one" / "1")
    r = vfx(root, work, *render(video, work / "one", "o.mp4", "--set", "subject.objects=[5]"))
    return {**r, "output_written": (work / "o.mp4").exists()}


@case
def label_map_with_15360_ids(root, work, video, masks):
    (work / "lab").mkdir()
    ids = np.arange(1, W * H + 1, dtype=np.uint16).reshape(H, W)
    for t in range(T):
        cv2.imwrite(str(work / "lab" / f"{t:05d}.png"), ids)
    return vfx(root, work, *render(video, "labels:lab", "o.mp4"))


@case
def background_image_20000_square(root, work, video, masks):
    cv2.imwrite(str(work / "huge.png"), np.zeros((20000, 20000), np.uint8))
    (work / "bg.yaml").write_text(
        "name: bg\nmasks: {subject: {objects: all}}\nlayers:\n  - {effect: replace_background, "
        f"region: ~subject, params: {{source: {work / 'huge.png'}}}}}\n"
    )
    return vfx(root, work, "render", str(video), "-o", "o.mp4", "--preset", "bg.yaml",
               "--masks", str(masks), "--quiet")  # fmt: skip


def _png_export(masks: Path) -> tuple[str, ...]:
    """``masks export`` of ``masks`` to ``x`` as PNG: the arguments."""
    return ("masks", "export", "--masks", str(masks), "-o", "x", "--format", "png")


@case
def export_dilate_1e9(root, work, video, masks):
    return vfx(root, work, *_png_export(masks), "--dilate", "1e9")


@case
def export_feather_inf(root, work, video, masks):
    return vfx(root, work, *_png_export(masks), "--feather", "inf")


@case
def export_fps_1e9(root, work, video, masks):
    return vfx(root, work, "masks", "export", "--masks", str(masks), "-o", "x", "--format", "comfy",
               "--video", str(video), "--fps", "1e9")  # fmt: skip


@case
def set_typo_names_option(root, work, video, masks):
    return vfx(root, work, *render(video, masks, "o.mp4", "--set", "0.radus=31"))


@case
def ntsc_rate_after_render(root, work, video, masks):
    import av

    src = work / "ntsc.mp4"
    from fractions import Fraction

    sys.path.insert(0, str(HERE))
    from tests.vfx.io.clip_makers import write_clip

    write_clip(src, W, H, 48, Fraction(24000, 1001), audio_codec="aac")
    (work / "m48").mkdir()
    for t in range(48):
        shutil.copy(masks / "1" / f"{t % T:05d}.png", work / "m48" / f"{t:05d}.png")
    r = vfx(root, work, *render(src, work / "m48", "o.mp4"))
    if r["code"] != 0:
        return r
    with av.open(str(work / "o.mp4")) as c:
        v = c.streams.video[0]
        seconds = round(float(v.duration * v.time_base), 4)
        return {**r, "rate": str(v.average_rate), "video_s": seconds,
                "source_s": round(48 * 1001 / 24000, 4)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", default=str(HERE))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    only = [n for n in args.only.split(",") if n]
    with tempfile.TemporaryDirectory(prefix="safety-cases-") as tmp:
        base = Path(tmp)
        video, masks = scene(base)
        for name, fn in CASES.items():
            if only and name not in only:
                continue
            work = base / name
            work.mkdir()
            try:
                result = fn(root, work, video, masks)
            except Exception as exc:  # a case that breaks is reported, the others still run
                result = {"case_error": repr(exc)[:160]}
            print(json.dumps({"case": name, **result}), flush=True)


if __name__ == "__main__":
    main()
