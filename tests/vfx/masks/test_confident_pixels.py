"""The rules that keep smoothing harmless, on hand-made values; and the helpers they rely on."""

from __future__ import annotations

import numpy as np

from vfx.masks.confident_pixels import guard, overturned, votes_needed
from vfx.masks.optical_flow import looks_alike, sample_points


def square_mask(size: int = 12, lo: int = 3, hi: int = 9) -> np.ndarray:
    mask = np.zeros((size, size), np.float32)
    mask[lo:hi, lo:hi] = 1.0
    return mask


def test_votes_needed_is_three_quarters_and_never_one() -> None:
    assert [votes_needed(n) for n in (1, 2, 4, 6)] == [2, 2, 3, 5]


def test_confident_pixels_keep_their_side_and_interior_keeps_its_value() -> None:
    raw = square_mask()
    smoothed = np.full_like(raw, 0.3)  # the window says "mostly off" everywhere
    out = guard(raw, smoothed, np.zeros(raw.shape, bool), (), band=1)
    np.testing.assert_array_equal(out >= 0.5, raw >= 0.5)  # nothing crosses 0.5
    assert out[6, 6] == 1.0  # deep inside: the raw value
    assert out[0, 0] == 0.0  # far outside: the raw value
    assert out[3, 3] == 0.5  # on the outline: softened, still on
    assert 0.29 < out[2, 2] < 0.5  # just outside: softened, still off


def test_uncertain_pixels_follow_the_window() -> None:
    raw = np.full((4, 4), 0.6, np.float32)
    smoothed = np.full_like(raw, 0.2)
    out = guard(raw, smoothed, np.zeros(raw.shape, bool), (), band=1)
    np.testing.assert_array_equal(out, smoothed)


def test_overturn_needs_enough_trusted_votes_over_a_solid_area() -> None:
    raw = np.zeros((12, 12), np.float32)  # a dropout: the object is missing
    vote = square_mask()
    flip = overturned(raw, [vote] * 4, [None] * 4, needed=3)
    np.testing.assert_array_equal(flip, vote >= 0.5)
    assert not overturned(raw, [vote] * 2 + [raw] * 2, [None] * 4, needed=3).any()
    untrusted = np.zeros(raw.shape, bool)
    assert not overturned(raw, [vote] * 4, [untrusted] * 2 + [None] * 2, needed=3).any()
    sliver = np.zeros_like(raw)
    sliver[2:10, 5:7] = 1.0  # two pixels wide: misalignment, not evidence
    assert not overturned(raw, [sliver] * 4, [None] * 4, needed=3).any()
    out = guard(raw, vote * 0.9, flip, (), band=1)
    np.testing.assert_array_equal(out >= 0.5, vote >= 0.5)


def test_a_mask_never_grows_where_another_object_is_confident() -> None:
    raw = np.zeros((12, 12), np.float32)
    raw[:, 5] = 0.4  # uncertain strip
    smoothed = np.ones_like(raw)
    other = np.zeros_like(raw)
    other[:6] = 0.95  # confidently on
    faint = np.full_like(raw, 0.8)  # on, but not confidently: it does not hold pixels
    out = guard(raw, smoothed, np.zeros(raw.shape, bool), [faint, other], band=1)
    np.testing.assert_array_equal(out[:6], raw[:6])
    assert (out[6:, 5] == 1.0).all()


def test_guard_takes_the_proposal_as_a_function_of_the_pixels_it_needs() -> None:
    raw = square_mask()
    raw[0, :] = 0.4  # an uncertain row
    smoothed = np.linspace(0.0, 1.0, raw.size, dtype=np.float32).reshape(raw.shape)
    asked = []

    def at(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        asked.append((rows, cols))
        return smoothed[rows, cols]

    flip = np.zeros(raw.shape, bool)
    flip[5:8, 5:8] = True  # an overturned area inside
    whole = guard(raw, smoothed, flip, (), band=1)
    into = np.full((14, 14), -1.0, np.float32)
    lazy = guard(raw, at, flip, (), band=1, out=into[1:13, 1:13])
    np.testing.assert_array_equal(lazy, whole)
    np.testing.assert_array_equal(into[1:13, 1:13], whole)
    assert (into[0] == -1.0).all()  # only the view is written
    # Asked once, for every pixel that changed, and not for those far from any outline.
    assert len(asked) == 1
    seen = np.zeros(raw.shape, bool)
    seen[asked[0]] = True
    assert seen[whole != raw].all() and seen[0].all()
    assert not seen[11, 11] and not seen[4:10, 10:].any() and seen[6, 6]
    assert whole[11, 11] == raw[11, 11] and whole[6, 6] < 0.5


def test_sample_points_takes_any_number_of_points() -> None:
    image = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
    rng = np.random.default_rng(0)
    count = 70_000  # more than cv2.remap takes in one row or column
    xs = rng.integers(0, 30, count).astype(np.float32)
    ys = rng.integers(0, 20, count).astype(np.float32)
    np.testing.assert_array_equal(
        sample_points(image, xs, ys), image[ys.astype(int), xs.astype(int)]
    )
    colour = np.dstack([image, image + 1, image + 2])
    assert sample_points(colour, xs[:5], ys[:5]).shape == (5, 3)
    assert sample_points(image, xs[:0], ys[:0]).shape == (0,)


def test_looks_alike_allows_a_pixel_of_misalignment_but_not_something_else() -> None:
    here = np.zeros((8, 8, 3), np.uint8)
    here[:, 4:] = 200  # a sharp edge
    shifted = np.roll(here, 1, axis=1)  # the same edge, one pixel off
    assert looks_alike(here, shifted, 10).all()
    other = here.copy()
    other[:, 4:, 2] = 0  # another colour from column 4 on
    alike = looks_alike(here, other, 10)
    assert alike[:, :3].all() and not alike[:, 5:].any()
