"""Render speed: `vfx render --preset background-blur` against ffmpeg and a naive moviepy composite.

Generates a clip (default 1080p, 30 fps, 150 frames, textured background with
moving shapes and a sine-tone audio track) and a matching lossless mask video
(FFV1, gray), then times, in one run, the same work done three ways:

a) ``vfx render CLIP -o OUT --preset background-blur --masks MASK.mkv`` (a fresh
   process, as users run it), once as shipped and once with
   ``--set subject.smooth=false``, which is exactly ffmpeg's work (the shipped
   preset also smooths the masks over time, which ffmpeg does not);
b) ffmpeg's filter graph: ``gblur`` of the frame, ``maskedmerge`` of the original
   over it through the mask, the same libx264 preset and CRF, audio copied;
c) moviepy's ``CompositeVideoClip([blurred, clip.with_mask(mask)])``, the naive way.

Prints wall times, frames per second and the ratios. Run on an idle machine:

    python benchmarks/render_vs_ffmpeg.py [--width 1920 --height 1080 --frames 150]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from vfx.synthetic import write_scene_video

REPO = Path(__file__).resolve().parents[1]
BLUR_RADIUS = 21  # the preset's radius; its Gaussian sigma is radius / 2


def write_mask_video(path: Path, masks: np.ndarray, fps: int) -> None:
    """Write the union of ``masks`` ``[T, N, H, W]`` bool as a lossless FFV1 gray video."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=fps)
        stream.height, stream.width = masks.shape[2:]
        stream.pix_fmt = "gray"
        for frame_masks in masks:
            gray = frame_masks.any(axis=0).astype(np.uint8) * 255  # [N, H, W] -> [H, W]
            container.mux(stream.encode(av.VideoFrame.from_ndarray(gray, format="gray")))
        container.mux(stream.encode())


def run_vfx(clip: Path, mask: Path, out: Path, x264: str, crf: int, *extra: str) -> None:
    command = [
        sys.executable, "-m", "vfx", "render", str(clip), "-o", str(out),
        "--preset", "background-blur", "--masks", str(mask), "--quiet", "--force",
        "--set", f"output.preset={x264}", "--set", f"output.crf={crf}", *extra,
    ]  # fmt: skip
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)


def run_ffmpeg(clip: Path, mask: Path, out: Path, x264: str, crf: int) -> None:
    import imageio_ffmpeg

    # Planar RGB throughout, so the gray mask (copied to all three planes) weights
    # every channel alike, as vfx does; the encoder gets yuv420p like vfx's.
    graph = (
        f"[0:v]format=gbrp,split[orig][tob];[tob]gblur=sigma={BLUR_RADIUS / 2}[blur];"
        "[1:v]format=gray,format=gbrp[mask];"
        "[blur][orig][mask]maskedmerge,format=yuv420p[out]"
    )
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(clip),
        "-i", str(mask), "-filter_complex", graph, "-map", "[out]", "-map", "0:a",
        "-c:v", "libx264", "-preset", x264, "-crf", str(crf), "-c:a", "copy", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)


def run_moviepy(clip: Path, mask: Path, out: Path, x264: str, crf: int) -> None:
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


def timed(label: str, fn: Callable[[], None], frames: int) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:7.2f} s  {frames / seconds:6.1f} fps", flush=True)
    return seconds


def check_output(path: Path, frames: int) -> None:
    with av.open(str(path)) as container:
        count = sum(1 for _ in container.decode(video=0))
    if count != frames:
        raise SystemExit(f"{path.name} has {count} frames, expected {frames}")


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
        "--skip-moviepy", action="store_true", help="Skip the slow naive composite."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vfx-bench-") as tmp:
        folder = Path(tmp)
        clip, mask = folder / "clip.mp4", folder / "mask.mkv"
        print(f"generating {args.width}x{args.height}, {args.frames} frames at {args.fps} fps ...")
        masks = write_scene_video(
            clip, args.width, args.height, args.frames, args.fps, objects=2, background=None
        )
        write_mask_video(mask, masks, args.fps)
        del masks
        n, x264, crf = args.frames, args.x264_preset, args.crf
        print(f"libx264 -preset {x264} -crf {crf}, audio copied; wall time incl. process start")
        outs = {name: folder / f"{name}.mp4" for name in ("vfx", "vfx_exact", "ffmpeg", "moviepy")}
        t_vfx = timed(
            "vfx render (preset as shipped, smoothing)",
            lambda: run_vfx(clip, mask, outs["vfx"], x264, crf), n,
        )  # fmt: skip
        t_exact = timed(
            "vfx render --set subject.smooth=false",
            lambda: run_vfx(
                clip, mask, outs["vfx_exact"], x264, crf, "--set", "subject.smooth=false"
            ),
            n,
        )
        t_ffmpeg = timed(
            "ffmpeg gblur + maskedmerge",
            lambda: run_ffmpeg(clip, mask, outs["ffmpeg"], x264, crf),
            n,
        )
        for name in ("vfx", "vfx_exact", "ffmpeg"):
            check_output(outs[name], n)
        print(f"vfx (same work) / ffmpeg: {t_exact / t_ffmpeg:.2f}x  (target <= 1.0)")
        print(f"vfx (shipped)   / ffmpeg: {t_vfx / t_ffmpeg:.2f}x")
        if not args.skip_moviepy:
            t_moviepy = timed(
                "moviepy CompositeVideoClip (naive)",
                lambda: run_moviepy(clip, mask, outs["moviepy"], x264, crf), n,
            )  # fmt: skip
            check_output(outs["moviepy"], n)
            print(f"moviepy / vfx (same work): {t_moviepy / t_exact:.2f}x  (target >= 3.0)")
            print(f"moviepy / vfx (shipped):   {t_moviepy / t_vfx:.2f}x")


if __name__ == "__main__":
    main()
