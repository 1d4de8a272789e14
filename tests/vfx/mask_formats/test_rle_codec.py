"""Our COCO RLE encoder/decoder against pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from vfx.errors import VfxError
from vfx.mask_formats.rle_codec import (
    compress_runs,
    decode_rle,
    decompress_runs,
    encode_rle,
    mask_runs,
)

# pycocotools 2.0 predates numpy 2's copy keyword; the warning is theirs, not ours
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    shapes = [
        rng.random((h, w)) < p for h, w in [(1, 1), (5, 7), (33, 48)] for p in (0.0, 0.2, 0.9, 1.0)
    ]
    big = np.zeros((120, 160), bool)
    big[10:100, 20:150] = True  # long runs: multi-character counts and negative deltas
    big[40:45] = False
    return [*shapes, big]


@pytest.mark.parametrize("mask", _cases())
def test_counts_string_matches_pycocotools(mask: np.ndarray) -> None:
    ours = encode_rle(mask)
    reference = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert ours["size"] == [mask.shape[0], mask.shape[1]]
    assert ours["counts"] == reference["counts"].decode("ascii")
    decoded = coco_mask.decode({"size": ours["size"], "counts": ours["counts"].encode("ascii")})
    np.testing.assert_array_equal(decoded, mask.astype(np.uint8))
    np.testing.assert_array_equal(decode_rle(ours), mask)


def test_runs_are_column_major_and_start_with_zeros() -> None:
    mask = np.array([[1, 0], [1, 1]], bool)  # columns: (1, 1), (0, 1)
    assert mask_runs(mask) == [0, 2, 1, 1]
    runs = [0, 2, 1, 1, 700, 3, 5]
    assert decompress_runs(compress_runs(runs)) == runs


def test_uncompressed_counts_decode() -> None:
    np.testing.assert_array_equal(
        decode_rle({"size": [2, 2], "counts": [1, 3]}), [[False, True], [True, True]]
    )


def test_bad_rle_is_one_line_error() -> None:
    with pytest.raises(VfxError, match="covers 4 pixels but its size is 3x3"):
        decode_rle({"size": [3, 3], "counts": [1, 3]})
    with pytest.raises(VfxError, match="lacks 'size' or 'counts'"):
        decode_rle({"counts": "00"})
