"""Preset assets that ship as text and are generated on first use.

A background source ``asset:NAME`` in a preset names ``presets/assets/NAME.yaml``,
a small description of a generated picture or video. The first time a render
opens it, the asset is rendered into ``<cache>/assets`` (named by a hash of its
description, so an edited description renders anew). Nothing binary ships in
the package.

A preset is data from anywhere, so NAME must be one of the shipped asset names
(no ``/``, no ``..``), and the generated path is checked to stay inside the
assets cache folder. Validating or showing a preset only checks the name: it
never writes a file.
"""

from __future__ import annotations

import hashlib
import math
import reprlib
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.safe_yaml import load_yaml

ASSET_PREFIX = "asset:"
GENERATORS = ("drifting-lights",)


def assets_dir() -> Path:
    """The folder of the shipped asset descriptions."""
    from vfx.presets.shipped import shipped_dir

    return shipped_dir() / "assets"


def shipped_asset_names() -> list[str]:
    """The names ``asset:NAME`` may use: the shipped descriptions, sorted."""
    return sorted(p.stem for p in assets_dir().glob("*.yaml"))


def check_asset_name(name: str) -> None:
    """Raise :class:`VfxError` unless ``name`` is a shipped asset name (writes nothing)."""
    known = shipped_asset_names()
    if name not in known:
        shown = reprlib.repr(name)
        raise VfxError(f"unknown preset asset {shown}; shipped assets: {', '.join(known)}")


_GENERATING = threading.Lock()  # effect workers may open the same asset at once


def asset_path(name: str) -> Path:
    """The generated file for asset ``name``, rendering it first if it is not cached yet."""
    from vfx.masks import default_cache_root

    check_asset_name(name)
    spec_file = assets_dir() / f"{name}.yaml"
    text = spec_file.read_text(encoding="utf-8")
    spec = load_yaml(text, f"asset {spec_file.name}")
    if not isinstance(spec, dict) or spec.get("generator") not in GENERATORS:
        raise VfxError(f"asset {spec_file.name} needs 'generator: ' one of {', '.join(GENERATORS)}")
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
    folder = (default_cache_root() / "assets").resolve()
    target = folder / f"{name}-{digest}.mp4"
    if target.resolve().parent != folder:
        raise VfxError(f"asset name {reprlib.repr(name)} leaves the assets cache; rename it")
    with _GENERATING:
        if not target.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            write_drifting_lights(target, spec)
    return target


def drifting_lights_frame(spec: dict[str, Any], index: int) -> np.ndarray:
    """Frame ``index`` (``[H, W, 3]`` uint8) of a loop of soft lights over a vertical gradient.

    The motion is periodic in ``spec["frames"]``, so the video loops without a jump.
    Lights are drawn at a quarter of the size and scaled up (they are blurry anyway).
    """
    from effects.core.colors import parse_color

    width, height, frames = int(spec["width"]), int(spec["height"]), int(spec["frames"])
    small_w, small_h = max(width // 4, 8), max(height // 4, 8)
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    top = np.array(parse_color(spec["top"]), np.float32)
    bottom = np.array(parse_color(spec["bottom"]), np.float32)
    ramp = np.linspace(0.0, 1.0, small_h, dtype=np.float32)[:, None, None]  # [h] -> [h, 1, 1]
    image = np.broadcast_to(top + (bottom - top) * ramp, (small_h, small_w, 3)).copy()
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    phase = 2 * math.pi * index / frames
    for color in spec["lights"]:
        cx, cy, ax, ay, p1, p2 = rng.uniform(
            [0.2, 0.25, 0.1, 0.08, 0, 0], [0.8, 0.75, 0.3, 0.2, 6.3, 6.3]
        )
        turns = int(rng.integers(1, 3))
        x = small_w * (cx + ax * math.sin(turns * phase + p1))
        y = small_h * (cy + ay * math.cos(phase + p2))
        radius = small_h * rng.uniform(0.12, 0.25)
        glow = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * radius**2))[..., None]  # [h, w, 1]
        image += 0.8 * glow * np.array(parse_color(color), np.float32)
    small = np.clip(image, 0, 255).astype(np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def write_drifting_lights(path: Path, spec: dict[str, Any]) -> None:
    """Render the ``drifting-lights`` asset described by ``spec`` to ``path`` (H.264, atomic)."""
    from vfx.io.writer import write_video

    frames = int(spec["frames"])
    write_video(
        path,
        (drifting_lights_frame(spec, i) for i in range(frames)),
        fps=float(spec["fps"]),
        size=(int(spec["width"]), int(spec["height"])),
        frame_count=frames,
        crf=23,
        preset="veryfast",
        progress=False,
    )
