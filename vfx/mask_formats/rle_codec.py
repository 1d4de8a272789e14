"""COCO run-length encoding of binary masks, compatible with pycocotools.

A mask is flattened column by column (Fortran order) and described by the
lengths of its alternating runs, starting with a run of zeros (possibly empty).
The compressed ``counts`` string stores each run length, from the fourth on as
the difference to the length two runs earlier, in little-endian groups of five
bits; each group becomes one character (``48 + bits``), bit 0x20 marking that
more groups follow and bit 0x10 of the last group carrying the sign.
"""

from __future__ import annotations

import numpy as np

from vfx import limits
from vfx.errors import VfxError
from vfx.safe_yaml import echo


def mask_runs(mask: np.ndarray) -> list[int]:
    """Run lengths of a ``[H, W]`` bool mask in column-major order, zeros first."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")  # [H, W] -> [W * H], columns first
    if flat.size == 0:
        return []
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], edges, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


def compress_runs(runs: list[int]) -> str:
    """Pack run lengths into the COCO ``counts`` string."""
    chars: list[str] = []
    for i, run in enumerate(runs):
        value = run - runs[i - 2] if i > 2 else run
        while True:
            group = value & 0x1F
            value >>= 5  # arithmetic shift: negative deltas end at -1
            done = value == -1 if group & 0x10 else value == 0
            chars.append(chr(48 + (group if done else group | 0x20)))
            if done:
                break
    return "".join(chars)


def decompress_runs(counts: str) -> list[int]:
    """Unpack a COCO ``counts`` string into run lengths."""
    runs: list[int] = []
    pos = 0
    while pos < len(counts):
        value = 0
        shift = 0
        while True:
            if pos >= len(counts):
                raise VfxError("truncated COCO RLE counts string; re-export the masks")
            group = ord(counts[pos]) - 48
            pos += 1
            value |= (group & 0x1F) << shift
            shift += 5
            if not group & 0x20:
                if group & 0x10:
                    value -= 1 << shift
                break
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def encode_rle(mask: np.ndarray) -> dict:
    """COCO RLE of a ``[H, W]`` bool mask: ``{"size": [H, W], "counts": str}``."""
    h, w = mask.shape
    return {"size": [int(h), int(w)], "counts": compress_runs(mask_runs(mask))}


def decode_rle(
    rle: dict, shape: tuple[int, int] | None = None, where: str = "COCO RLE"
) -> np.ndarray:
    """``[H, W]`` bool mask from a COCO RLE with a string (or list) ``counts``.

    ``shape`` is the ``(H, W)`` the caller expects (the video's); without it the
    declared size must stay within :data:`vfx.limits.IMAGE_PIXELS`. The declared
    size and the run lengths are checked before anything is allocated.
    """
    try:
        size, counts = rle["size"], rle["counts"]
    except (KeyError, TypeError):
        raise VfxError(f"{where} lacks 'size' or 'counts'; re-export the masks") from None
    if not isinstance(size, list) or [type(v) for v in size] != [int, int] or min(size) < 0:
        raise VfxError(f"{where} has size {echo(size)}; it must be [height, width]")
    if shape is None:
        limits.IMAGE_PIXELS.check(size[0] * size[1], f"{where} ({size[1]}x{size[0]})")
        shape = (size[0], size[1])
    if tuple(size) != shape:
        raise VfxError(
            f"{where} has size {echo(size)}, not the video's [{shape[0]}, {shape[1]}]; "
            "re-export the masks at the video's size"
        )
    if isinstance(counts, str):
        runs = decompress_runs(counts)
    elif isinstance(counts, list) and all(type(c) is int for c in counts):
        runs = counts
    else:
        raise VfxError(f"{where} has counts that are neither a string nor whole numbers")
    h, w = shape
    if any(run < 0 for run in runs):
        raise VfxError(f"{where} has negative run lengths; re-export the masks")
    if sum(runs) != h * w:
        raise VfxError(
            f"{where} covers {sum(runs)} pixels but its size is {h}x{w}; re-export the masks"
        )
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, runs)  # [H * W] in column-major order
    return flat.reshape((w, h)).T  # [W, H] -> [H, W]
