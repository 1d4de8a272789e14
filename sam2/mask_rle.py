"""Run-length encoding of binary masks in the COCO layout (column-major, zeros first).

An uncompressed RLE is ``{"size": [H, W], "counts": [run, run, ...]}``: the mask flattened
column by column, described by the lengths of its alternating runs starting with background
(a leading 0 when the first pixel is set). ``coco_rle`` packs the counts into pycocotools'
string form. :func:`crop_masks_to_rles` gives the counts as a compact integer array (a mask
kept for later costs 4 bytes a run, not a Python int each); :func:`plain_rle` makes the
list form the official generator returns.
"""

from __future__ import annotations

import numpy as np


def crop_masks_to_rles(
    masks: np.ndarray, crop_box: list[int], image_hw: tuple[int, int]
) -> list[dict]:
    """Uncompressed RLEs, in the whole image's frame, of ``[K, h, w]`` bool masks predicted on
    the crop ``[x0, y0, x1, y1]`` of an image of ``image_hw`` (pixels outside the crop are 0);
    ``counts`` are ``[R]`` int32 arrays (int64 for images of 2**31 pixels or more).

    The runs come straight from the crop: the full-size masks are never built.
    """
    height, width = image_hw
    x0, y0 = crop_box[0], crop_box[1]
    count, crop_h, crop_w = masks.shape
    # Columns framed by a background pixel at each end, so that changes come in pairs: the
    # first pixel of a run, then the pixel after its last.
    padded = np.zeros((count, crop_w, crop_h + 2), dtype=bool)
    padded[:, :, 1:-1] = masks.transpose(0, 2, 1)  # [K, h, w] -> [K, w, h]
    changes = np.flatnonzero(padded[:, :, 1:] != padded[:, :, :-1])  # in [K, w, h + 1]
    mask_id, within = np.divmod(changes, crop_w * (crop_h + 1))
    col, row = np.divmod(within, crop_h + 1)
    pixel = (x0 + col) * height + y0 + row  # the change's pixel index in the image, column-major
    starts, ends, mask_id = pixel[0::2], pixel[1::2], mask_id[0::2]
    # A run that reaches the bottom of a column continues at the top of the next one when the
    # crop spans the full height: join such pairs.
    if len(starts):
        joined = (ends[:-1] == starts[1:]) & (mask_id[:-1] == mask_id[1:])
        keep_start = np.concatenate(([True], ~joined))
        keep_end = np.concatenate((~joined, [True]))
        starts, mask_id, ends = starts[keep_start], mask_id[keep_start], ends[keep_end]
    bounds = np.stack([starts, ends], axis=1).ravel()  # [2R]: start, end, start, end, ...
    first = np.searchsorted(mask_id, np.arange(count + 1))  # runs of mask k: first[k]:first[k+1]
    total = height * width
    dtype = np.int32 if total < 2**31 else np.int64
    rles = []
    for k in range(count):
        own = bounds[2 * first[k] : 2 * first[k + 1]]
        counts = np.diff(np.concatenate(([0], own, [total]))).astype(dtype)
        if len(own) and own[-1] == total:
            counts = counts[:-1]  # the mask runs to the last pixel: no trailing background run
        rles.append({"size": [height, width], "counts": counts})
    return rles


def plain_rle(rle: dict) -> dict:
    """The RLE with ``counts`` as a list of Python ints (the official uncompressed form)."""
    return {"size": [int(v) for v in rle["size"]], "counts": np.asarray(rle["counts"]).tolist()}


def rle_to_mask(rle: dict) -> np.ndarray:
    """``[H, W]`` bool mask of an uncompressed RLE."""
    height, width = rle["size"]
    values = np.zeros(len(rle["counts"]), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, rle["counts"])  # [H * W], column-major
    return flat.reshape(width, height).T  # [W, H] -> [H, W]


def rle_area(rle: dict) -> int:
    """Number of set pixels of an uncompressed RLE."""
    return int(np.asarray(rle["counts"])[1::2].sum())


def compress_runs(runs: list[int]) -> str:
    """Pack run lengths into pycocotools' ``counts`` string: from the fourth run on, each is
    stored as the difference to the run two before; values go out in little-endian groups of
    five bits, one character (``48 + bits``) per group, 0x20 meaning more groups follow and
    0x10 of the last group carrying the sign."""
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


def coco_rle(rle: dict) -> dict:
    """pycocotools' compressed form ``{"size": [H, W], "counts": str}`` of an uncompressed RLE."""
    plain = plain_rle(rle)
    return {"size": plain["size"], "counts": compress_runs(plain["counts"])}
