"""What ``replace_background`` shows: a generated image, an image file, or a video file.

A source is written as one string:

- ``solid:COLOR`` or a bare ``#rrggbb`` — a flat colour;
- ``gradient:START,END[,DIRECTION]`` — see the ``gradient`` effect
  (e.g. ``gradient:#101830,#5078b0,radial``);
- ``asset:NAME`` — one of the shipped generated assets (``presets/assets/NAME.yaml``),
  rendered into the cache the first time a render opens it (validating a preset
  never writes it);
- a file path (relative to the preset file, else the cwd): an image
  (.png/.jpg/.jpeg/.bmp/.webp/.tif/.tiff), a video (any other extension PyAV
  reads, e.g. .mp4/.mov/.webm/.mkv) or a folder of numbered frames. Videos are
  read lazily, one frame per output frame; when they run out they loop or hold
  their last frame.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from effects.core.base import EffectContext
from effects.core.kernels import fit_image
from effects.core.params import resolve_file
from effects.gradient import Gradient
from effects.solid import Solid
from vfx.errors import VfxError
from vfx.io.frame_folder import read_rgb
from vfx.io.reader import VideoReader, open_video
from vfx.presets.assets import ASSET_PREFIX, asset_path, check_asset_name
from vfx.safe_yaml import echo

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def normalize_source(value: object, base_dir: Path | None) -> str:
    """Check a source string and return its canonical form (files as absolute paths).

    Raises ``ValueError`` with the accepted forms when ``value`` is none of them.
    """
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError(
            "expected 'solid:COLOR', 'gradient:START,END[,DIR]' or a file path, got " + repr(value)
        )
    text = str(value).strip()
    if text.startswith("#") or text.startswith(("solid:", "gradient:")):
        generator = parse_generator(text)
        return generator_spec(generator)
    if text.startswith(ASSET_PREFIX):
        check_asset_name(text[len(ASSET_PREFIX) :])
        return text
    return resolve_file(text, base_dir, allow_dir=True)


def parse_generator(text: str) -> Solid | Gradient:
    """``solid:COLOR`` / ``#rrggbb`` / ``gradient:A,B[,DIR]`` -> a Solid or Gradient effect."""
    try:
        if text.startswith("#"):
            return Solid.from_params({"color": text})
        kind, _, args = text.partition(":")
        parts = [p.strip() for p in args.split(",")]
        if kind == "solid" and len(parts) == 1:
            return Solid.from_params({"color": parts[0]})
        if kind == "gradient" and len(parts) in (2, 3):
            names = ("start", "end", "direction")[: len(parts)]
            return Gradient.from_params(dict(zip(names, parts, strict=True)))
    except VfxError as exc:
        raise ValueError(f"bad source {echo(text)}: {exc}") from None
    raise ValueError(
        f"bad source {echo(text)}; write 'solid:COLOR' or 'gradient:START,END[,DIRECTION]'"
    )


def generator_spec(generator: Solid | Gradient) -> str:
    """The source string of a Solid or Gradient effect (inverse of :func:`parse_generator`)."""
    values = generator.params()
    if isinstance(generator, Solid):
        return f"solid:{values['color']}"
    return f"gradient:{values['start']},{values['end']},{generator.direction}"


@dataclass
class _Opened:
    """A source ready to produce frames; lives in ``EffectContext.cache``."""

    generator: Solid | Gradient | None = None
    image: np.ndarray | None = None
    video: VideoReader | None = None


def background_frame(
    source: str,
    size: tuple[int, int],
    ctx: EffectContext,
    *,
    fit: str,
    fill: tuple[int, int, int],
    loop: bool,
) -> np.ndarray:
    """The ``[H, W, 3]`` uint8 background for ``ctx.frame_index`` at ``size`` ``(w, h)``.

    Opened sources and fitted still images are kept in ``ctx.cache``.
    """
    opened = ctx.cache.get(("background", source))
    if opened is None:
        opened = ctx.cache[("background", source)] = _open(source)
    if opened.generator is not None:
        return opened.generator.generate(size, ctx)
    if opened.image is not None:
        key = ("background-fitted", source, size, fit, fill)
        fitted = ctx.cache.get(key)
        if fitted is None:
            fitted = ctx.cache[key] = fit_image(opened.image, size, fit, fill)
        return fitted
    video = opened.video
    assert video is not None
    count = video.info.frame_count
    index = ctx.frame_index % count if loop else min(ctx.frame_index, count - 1)
    return fit_image(video.read(index), size, fit, fill)


_DECODING = threading.Lock()


@functools.lru_cache(maxsize=2)
def _decoded_image_once(path: str, stamp: tuple[int, int]) -> np.ndarray:
    image = read_rgb(Path(path))
    image.flags.writeable = False  # shared by every effect worker
    return image


def _decoded_image(path: str, stamp: tuple[int, int]) -> np.ndarray:
    """A still background ``[H, W, 3]`` uint8, decoded once for all effect workers.

    Each worker keeps its own opened sources (video readers are not thread-safe),
    but a still image is read-only, so the workers share one decoded copy instead of
    holding one each; ``stamp`` (mtime, size) makes an edited file decode anew.
    """
    with _DECODING:
        return _decoded_image_once(path, stamp)


def _open(source: str) -> _Opened:
    if source.startswith(("solid:", "gradient:", "#")):
        return _Opened(generator=parse_generator(source))
    if source.startswith(ASSET_PREFIX):
        return _Opened(video=open_video(asset_path(source[len(ASSET_PREFIX) :])))
    if Path(source).suffix.lower() in IMAGE_SUFFIXES:
        stat = Path(source).stat()
        return _Opened(image=_decoded_image(source, (stat.st_mtime_ns, stat.st_size)))
    return _Opened(video=open_video(source))
