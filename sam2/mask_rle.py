"""Run-length encoding of binary masks in the COCO layout (column-major, zeros first).

An uncompressed RLE is ``{"size": [H, W], "counts": [run, run, ...]}``: the mask flattened
column by column, described by the lengths of its alternating runs starting with background
(a leading 0 when the first pixel is set). ``coco_rle`` packs the counts into pycocotools'
string form.
"""

from __future__ import annotations

import numpy as np


def crop_masks_to_rles(
    masks: np.ndarray, crop_box: list[int], image_hw: tuple[int, int]
) -> list[dict]:
    """Uncompressed RLEs, in the whole image's frame, of ``[K, h, w]`` bool masks predicted on
    the crop ``[x0, y0, x1, y1]`` of an image of ``image_hw`` (pixels outside the crop are 0).

    The runs come straight from the crop: the full-size masks are never built.
    """
    height, width = image_hw
    x0, y0 = crop_box[0], crop_box[1]
    count = masks.shape[0]
    columns = np.ascontiguousarray(masks.transpose(0, 2, 1))  # [K, h, w] -> [K, w, h]
    padded = np.zeros((*columns.shape[:2], columns.shape[2] + 2), dtype=np.int8)
    padded[:, :, 1:-1] = columns
    steps = np.diff(padded, axis=-1)  # [K, w, h + 1]: +1 where a run starts, -1 after it ends
    mask_id, col, row = np.nonzero(steps == 1)
    starts = (x0 + col).astype(np.int64) * height + y0 + row  # pixel index, column-major
    ends = np.flatnonzero((steps == -1).ravel())
    _, end_col, end_row = np.unravel_index(ends, steps.shape)
    ends = (x0 + end_col).astype(np.int64) * height + y0 + end_row
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
    rles = []
    for k in range(count):
        own = bounds[2 * first[k] : 2 * first[k + 1]]
        counts = np.diff(np.concatenate(([0], own, [total]))).tolist()
        if len(own) and own[-1] == total:
            counts.pop()  # the mask runs to the last pixel: no trailing background run
        rles.append({"size": [height, width], "counts": counts})
    return rles


def rle_to_mask(rle: dict) -> np.ndarray:
    """``[H, W]`` bool mask of an uncompressed RLE."""
    height, width = rle["size"]
    values = np.zeros(len(rle["counts"]), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, rle["counts"])  # [H * W], column-major
    return flat.reshape(width, height).T  # [W, H] -> [H, W]


def rle_area(rle: dict) -> int:
    """Number of set pixels of an uncompressed RLE."""
    return int(sum(rle["counts"][1::2]))


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
    return {"size": list(rle["size"]), "counts": compress_runs(rle["counts"])}
