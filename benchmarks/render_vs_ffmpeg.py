"""Render speed: `vfx render --preset background-blur` against ffmpeg and a naive moviepy composite.

Generates a clip per ``--content`` kind (default 1080p, 30 fps, 150 frames, two
moving shapes over a background that is cheap or expensive for x264 to encode,
a sine-tone AAC track; H.264 yuv420p CRF 18 like a camera file,
or the 4:4:4 near-lossless original with ``--source-pix-fmt yuv444p``) and a
matching lossless mask video (FFV1, gray), then times the same work done three
ways, each as a fresh process (start-up included), in one run, against the
floor of ffmpeg transcoding the source with no filter at the same settings:

a) ``vfx render CLIP -o OUT --preset background-blur --masks MASK.mkv``, once
   with ``--set subject.smooth=false`` (exactly ffmpeg's work) and once as
   shipped (the preset also smooths the masks over time, which ffmpeg does not);
b) ffmpeg's filter graph: ``gblur`` (sigma = radius / 2) of the frame,
   ``maskedmerge`` of the original over it through the mask, yuv420p;
c) moviepy's ``CompositeVideoClip([blurred, clip.with_mask(mask)])``, the naive
   way (OpenCV Gaussian blur per frame, moviepy's own compositing).

All three encode with libx264 at the same ``-preset`` and ``-crf`` with
ffmpeg's default threads and write yuv420p; vfx and ffmpeg copy the source's
AAC audio, moviepy re-encodes it (it always does). Every output is checked to
have every frame. Times are the best of ``--repeat`` interleaved runs (wall), after one
untimed warm-up run, with the CPU seconds (user + system, all child processes) of that run: on a
shared machine the CPU figures are the steadier comparison.

    PYTHONPATH=. python benchmarks/render_vs_ffmpeg.py [--frames 150] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
BLUR_RADIUS = 21  # the preset's radius; its Gaussian sigma is radius / 2


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


CONTENT_KINDS = {
    "scene": "a gradient with fine noise behind two shapes (vfx.demo.synthetic's scene)",
    "soft": "blurred noise with soft stripes, panning slowly: cheap for x264 (handheld, defocused)",
    "flat": "flat colours, a static shot like a screen recording: the cheapest to encode",
    "grain": "the scene under fresh film grain on every frame: the most expensive to encode",
}


def content_frames(kind: str, width: int, height: int, frames: int) -> Iterator[tuple]:
    """``(rgb [H, W, 3] uint8, masks [N, H, W] bool)`` per frame of one content kind.

    Every kind has the same two moving objects (a disc and a square, one passing
    in front of the other); only the background (and, for ``grain``, noise over
    everything) changes how hard the clip is for the encoder.
    """
    import cv2

    from vfx.demo.synthetic import scene_frames

    rng = np.random.default_rng(7)
    if kind == "scene":
        for sf in scene_frames(width, height, frames, objects=2, background=None):
            yield sf.rgb, sf.masks
        return
    if kind == "soft":
        # low-frequency noise + diagonal stripes, larger than the frame so it can pan
        pad = 64
        noise = rng.integers(0, 256, (height + pad, width + pad, 3), dtype=np.uint8)
        base = cv2.GaussianBlur(noise, (0, 0), 9).astype(np.float32)
        yy, xx = np.mgrid[0 : height + pad, 0 : width + pad]
        stripes = 40 * np.sin((xx + yy) / 23.0)[..., None]  # [H, W] -> [H, W, 1]
        plate = np.clip((base - 128) * 3 + 128 + stripes, 0, 255).astype(np.uint8)
    else:
        plate = np.empty((height, width, 3), np.uint8)
        plate[: height // 2] = (38, 44, 52)
        plate[height // 2 :] = (228, 228, 232)
    for t, sf in enumerate(scene_frames(width, height, frames, objects=2, background=(0, 255, 0))):
        if kind == "soft":
            shift = t % 64
            rgb = plate[shift : shift + height, shift : shift + width].copy()
        else:
            rgb = plate.copy()
        inside = sf.masks.any(axis=0)  # [N, H, W] -> [H, W]
        rgb[inside] = sf.rgb[inside]
        if kind == "grain":
            grain = rng.normal(0, 14, rgb.shape).astype(np.int16)
            rgb = np.clip(rgb.astype(np.int16) + grain, 0, 255).astype(np.uint8)
        yield rgb, sf.masks


def write_content(path: Path, kind: str, width: int, height: int, frames: int, fps: int) -> list:
    """Write one content kind as near-lossless yuv444p H.264 with a tone; return its masks."""
    from vfx.demo.synthetic import write_source_clip

    masks = []

    def rgb_frames() -> Iterator[np.ndarray]:
        for rgb, frame_masks in content_frames(kind, width, height, frames):
            masks.append(frame_masks)
            yield rgb

    write_source_clip(path, rgb_frames(), width, height, fps, x264_preset="ultrafast")
    return masks


def to_camera_format(source: Path, out: Path) -> None:
    """Re-encode ``source``'s video as H.264 yuv420p CRF 18 (what cameras write); audio copied."""
    command = [
        ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(source), "-c:v", "libx264",
        "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "copy", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)


def vfx_command(clip: Path, mask: Path, out: Path, x264: str, crf: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "vfx", "render", str(clip), "-o", str(out),
        "--preset", "background-blur", "--masks", str(mask), "--quiet", "--force",
        "--set", f"output.preset={x264}", "--set", f"output.crf={crf}", *extra,
    ]  # fmt: skip


def ffmpeg_command(clip: Path, mask: Path, out: Path, x264: str, crf: int, fps: int) -> list[str]:
    # Planar RGB throughout, so the gray mask (copied to all three planes) weights
    # every channel alike, as vfx does; the encoder gets yuv420p like vfx's.
    # Frame N of the clip meets frame N of the mask, as in vfx: both are renumbered
    # in a 1/fps time base first. Matroska stores the mask's times in milliseconds
    # (33, 67, 100, ...), and with those maskedmerge's sync paired the clip's frames
    # with the wrong masks and the output repeated every third frame (20 of 60),
    # which x264 encodes almost for free.
    renumber = f"settb=1/{fps},setpts=N"
    graph = (
        f"[0:v]{renumber},format=gbrp,split[orig][tob];"
        f"[tob]gblur=sigma={BLUR_RADIUS / 2}[blur];"
        f"[1:v]{renumber},format=gray,format=gbrp[mask];"
        "[blur][orig][mask]maskedmerge,format=yuv420p[out]"
    )
    return [
        ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(clip),
        "-i", str(mask), "-filter_complex", graph, "-map", "[out]", "-map", "0:a",
        "-c:v", "libx264", "-preset", x264, "-crf", str(crf), "-c:a", "copy", str(out),
    ]  # fmt: skip


def encode_only_command(clip: Path, out: Path, x264: str, crf: int) -> list[str]:
    """The floor: ffmpeg transcoding the source with no filter, same encoder settings."""
    return [
        ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(clip), "-map", "0:v", "-map", "0:a",
        "-c:v", "libx264", "-preset", x264, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-c:a", "copy", str(out),
    ]  # fmt: skip


def moviepy_command(clip: Path, mask: Path, out: Path, x264: str, crf: int) -> list[str]:
    return [
        sys.executable, str(Path(__file__).resolve()), "--naive", str(clip), str(mask), str(out),
        "--x264-preset", x264, "--crf", str(crf),
    ]  # fmt: skip


def run_moviepy_naive(clip: Path, mask: Path, out: Path, x264: str, crf: int) -> None:
    """The naive moviepy composite (runs in the process started by :func:`moviepy_command`)."""
    import cv2
    from moviepy import CompositeVideoClip, VideoFileClip

    sigma = BLUR_RADIUS / 2
    source = VideoFileClip(str(clip))
    blurred = source.image_transform(lambda frame: cv2.GaussianBlur(frame, (0, 0), sigma))
    matte = VideoFileClip(str(mask)).to_mask()
    composite = CompositeVideoClip([blurred, source.with_mask(matte)])
    composite.write_videofile(
        str(out), codec="libx264", preset=x264, ffmpeg_params=["-crf", str(crf)],
        audio_codec="aac", logger=None,
    )  # fmt: skip
    for item in (composite, matte, source):
        item.close()


@dataclass
class Timing:
    """Best wall time over the runs of one contender, and the CPU seconds of that run."""

    label: str
    wall: float = float("inf")
    cpu: float = 0.0

    def add(self, wall: float, cpu: float) -> None:
        if wall < self.wall:
            self.wall, self.cpu = wall, cpu


def children_cpu() -> float:
    """User + system seconds of all finished child processes (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def installed_like_env(pycache: Path) -> dict[str, str]:
    """Environment for the Python contenders, with byte code cached as in an installed wheel.

    Byte code goes to ``pycache`` (not the source tree), even where the shell sets
    PYTHONDONTWRITEBYTECODE; compiling vfx's sources on every start would add
    about 0.2 s to each vfx run here. One untimed import of what the contenders
    load fills the cache (with a prefix set, Python caches every module there).
    """
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    modules = "vfx.cli, vfx.api, vfx.io.writer, vfx.io.moviepy_pipe, vfx.sources.imported, moviepy"
    subprocess.run([sys.executable, "-c", f"import {modules}"], cwd=REPO, env=env, check=True)
    return env


def timed_run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """``(wall, cpu)`` seconds of running ``command`` to completion."""
    cpu, start = children_cpu(), time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr.strip()}")
    return wall, cpu


def decoded(path: Path) -> Iterator[np.ndarray]:
    """The frames of ``path``, one ``[H, W, 3]`` uint8 array at a time."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def check_outputs(outs: dict[str, Path], frames: int) -> None:
    """Every output has every frame and audio; print how far vfx's pixels are from ffmpeg's."""
    for path in outs.values():
        with av.open(str(path)) as container:
            count = sum(1 for _ in container.decode(video=0))
            has_audio = bool(container.streams.audio)
        if count != frames or not has_audio:
            raise SystemExit(f"{path.name}: {count} frames (expected {frames}), audio {has_audio}")
    pairs = zip(decoded(outs["vfx_exact"]), decoded(outs["ffmpeg"]), strict=True)
    diffs = [np.abs(ours.astype(np.int16) - theirs).mean() for ours, theirs in pairs]
    print(
        f"all outputs: {frames} frames with audio; vfx vs ffmpeg pixels: mean |diff| "
        f"{np.mean(diffs):.2f}, worst frame {np.max(diffs):.2f} (a frame out of step shows here)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--x264-preset", default="medium")
    parser.add_argument("--crf", type=int, default=18)
    parser.add_argument(
        "--content",
        default="scene",
        help="Content kind(s), comma-separated, or 'all': "
        + "; ".join(f"{k}: {v}" for k, v in CONTENT_KINDS.items()),
    )
    parser.add_argument("--source-pix-fmt", choices=("yuv420p", "yuv444p"), default="yuv420p")
    parser.add_argument("--repeat", type=int, default=1, help="Runs per contender (best kept).")
    parser.add_argument(
        "--skip-moviepy", action="store_true", help="Skip the slow naive composite."
    )
    parser.add_argument("--naive", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        run_moviepy_naive(*args.naive, args.x264_preset, args.crf)
        return

    kinds = list(CONTENT_KINDS) if args.content == "all" else args.content.split(",")
    unknown = [kind for kind in kinds if kind not in CONTENT_KINDS]
    if unknown:
        choices = ", ".join(CONTENT_KINDS)
        parser.error(f"unknown --content {', '.join(unknown)}; choose from {choices}")
    for kind in kinds:
        bench_content(kind, args)


def bench_content(kind: str, args: argparse.Namespace) -> None:
    """Time every contender on one content kind and print the figures."""
    from vfx.demo.synthetic import write_union_mask_video

    x264, crf = args.x264_preset, args.crf
    with tempfile.TemporaryDirectory(prefix="vfx-bench-") as tmp:
        folder = Path(tmp)
        clip, mask = folder / "clip.mp4", folder / "mask.mkv"
        print(
            f"\n== content {kind!r}: {CONTENT_KINDS[kind]}\n"
            f"generating {args.width}x{args.height}, {args.frames} frames at {args.fps} fps, "
            f"{args.source_pix_fmt} ..."
        )
        original = folder / "scene.mp4"
        masks = write_content(original, kind, args.width, args.height, args.frames, args.fps)
        write_union_mask_video(mask, np.stack(masks), args.fps)
        del masks
        if args.source_pix_fmt == "yuv420p":
            to_camera_format(original, clip)
        else:
            original.rename(clip)
        names = ("vfx_exact", "vfx", "ffmpeg", "encode", "moviepy")
        outs = {name: folder / f"{name}.mp4" for name in names}
        contenders: dict[str, tuple[str, Callable[[], list[str]]]] = {
            "encode": (
                "ffmpeg encode only (no filter: the floor)",
                lambda: encode_only_command(clip, outs["encode"], x264, crf),
            ),
            "vfx_exact": (
                "vfx render --set subject.smooth=false",
                lambda: vfx_command(
                    clip, mask, outs["vfx_exact"], x264, crf, "--set", "subject.smooth=false"
                ),
            ),
            "ffmpeg": (
                "ffmpeg gblur + maskedmerge",
                lambda: ffmpeg_command(clip, mask, outs["ffmpeg"], x264, crf, args.fps),
            ),
            "vfx": (
                "vfx render (as shipped: + mask smoothing)",
                lambda: vfx_command(clip, mask, outs["vfx"], x264, crf),
            ),
        }
        if args.skip_moviepy:
            del outs["moviepy"]
        else:
            contenders["moviepy"] = (
                "moviepy CompositeVideoClip (naive)",
                lambda: moviepy_command(clip, mask, outs["moviepy"], x264, crf),
            )
        print(
            f"libx264 -preset {x264} -crf {crf}, yuv420p, default threads; audio copied "
            f"(moviepy: re-encoded); {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f} before"
        )
        env = installed_like_env(folder / "pycache")
        timings = {name: Timing(label) for name, (label, _) in contenders.items()}
        # Untimed: on this shared VM the first heavy process after a pause runs 30-50% slower,
        # which would otherwise land on whichever contender happens to go first.
        subprocess.run(contenders["encode"][1](), env=env, check=True, capture_output=True)
        for _ in range(args.repeat):
            for name, (_, command) in contenders.items():
                timings[name].add(*timed_run(command(), env))
        n = args.frames
        floor = timings["encode"]
        for timing in timings.values():
            print(
                f"{timing.label:<44} {timing.wall:7.2f} s wall  {n / timing.wall:6.1f} fps"
                f"  {timing.cpu:7.2f} s CPU  {timing.wall / floor.wall:5.2f}x encode-only"
            )
        print(f"load average {os.getloadavg()[0]:.2f} after")
        check_outputs(outs, n)
        exact, ffmpeg = timings["vfx_exact"], timings["ffmpeg"]
        shipped = timings["vfx"]
        print(
            f"[{kind}] vfx (same work) / ffmpeg: wall {exact.wall / ffmpeg.wall:.2f}x  "
            f"CPU {exact.cpu / ffmpeg.cpu:.2f}x  (target <= 1.0)"
        )
        print(
            f"[{kind}] vfx (shipped)   / ffmpeg: wall {shipped.wall / ffmpeg.wall:.2f}x  "
            f"CPU {shipped.cpu / ffmpeg.cpu:.2f}x  (target <= 1.25)"
        )
        if "moviepy" in timings:
            naive = timings["moviepy"]
            print(
                f"[{kind}] moviepy / vfx (same work): wall {naive.wall / exact.wall:.2f}x  "
                f"CPU {naive.cpu / exact.cpu:.2f}x  (target >= 3.0)"
            )


if __name__ == "__main__":
    main()
