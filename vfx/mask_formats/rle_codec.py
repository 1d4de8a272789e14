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

from vfx.errors import VfxError


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


def decode_rle(rle: dict) -> np.ndarray:
    """``[H, W]`` bool mask from a COCO RLE with a string (or list) ``counts``."""
    try:
        h, w = (int(v) for v in rle["size"])
        counts = rle["counts"]
    except (KeyError, TypeError, ValueError) as exc:
        raise VfxError("COCO RLE entry lacks 'size' or 'counts'; re-export the masks") from exc
    runs = decompress_runs(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if sum(runs) != h * w:
        raise VfxError(
            f"COCO RLE covers {sum(runs)} pixels but its size is {h}x{w}; re-export the masks"
        )
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, runs)  # [H * W] in column-major order
    return flat.reshape((w, h)).T  # [W, H] -> [H, W]
