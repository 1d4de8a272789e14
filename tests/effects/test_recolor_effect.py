"""recolor: grading arithmetic and .cube LUTs (parsed here, trilinear lookup)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from effects import EffectContext, Recolor
from effects.core.cube_lut import apply_dense, dense_table, parse_cube, read_cube
from vfx.errors import VfxError


def _apply(effect: Recolor, frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    alpha = np.ones((height, width), np.float32)
    return effect.apply(frame, alpha, EffectContext(size=(width, height)))


def _ramp() -> np.ndarray:
    values = np.arange(0, 256, 5, dtype=np.uint8)
    r, g, b = np.meshgrid(values, values[::-1], values[::3], indexing="ij")
    return np.stack([r, g, b], axis=-1).reshape(len(values), -1, 3)  # [N, M, 3]


def _write_cube(path: Path, size: int, mapping, header: str = "") -> Path:
    grid = np.linspace(0.0, 1.0, size)
    lines = [f'TITLE "test"\n# comment line\nLUT_3D_SIZE {size}\n{header}']
    for b in grid:  # red changes fastest, then green, then blue
        for g in grid:
            for r in grid:
                lines.append("{:.6f} {:.6f} {:.6f}".format(*mapping(r, g, b)))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_default_desaturates_to_luma() -> None:
    out = _apply(Recolor(), _ramp())
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    pixel = _apply(Recolor(), np.array([[[255, 0, 0]]], np.uint8))
    assert abs(int(pixel[0, 0, 0]) - 76) <= 1  # Rec.601 luma of pure red: 0.299 * 255


def test_identity_settings_change_nothing() -> None:
    frame = _ramp()
    np.testing.assert_array_equal(_apply(Recolor(saturation=1.0), frame), frame)


def test_channel_curves() -> None:
    frame = np.array([[[100, 100, 100], [0, 128, 255]]], np.uint8)
    np.testing.assert_array_equal(
        _apply(Recolor(saturation=1, brightness=0.2), frame)[0, 0], [151] * 3
    )
    # contrast 2 around 128: (100-128)*2+128 = 72; 0 -> 0 (clipped), 255 -> 255
    np.testing.assert_array_equal(
        _apply(Recolor(saturation=1, contrast=2), frame)[0], [[72] * 3, [0, 128, 255]]
    )
    warm = _apply(Recolor(saturation=1, temperature=0.4), frame)[0, 0]
    assert warm[0] == 110 and warm[1] == 100 and warm[2] == 90  # gains 1.1 / 1 / 0.9
    magenta = _apply(Recolor(saturation=1, tint=0.4), frame)[0, 0]
    assert magenta[1] == 90 and magenta[0] == magenta[2] == 100


def test_hue_rotation_moves_primaries() -> None:
    frame = np.array([[[255, 0, 0], [0, 255, 0]]], np.uint8)
    out = _apply(Recolor(saturation=1, hue=120), frame)
    np.testing.assert_array_equal(out[0], [[0, 255, 0], [0, 0, 255]])
    out = _apply(Recolor(saturation=1, hue=-120), frame)
    np.testing.assert_array_equal(out[0], [[0, 0, 255], [255, 0, 0]])


def test_identity_lut_file_is_identity(tmp_path: Path) -> None:
    path = _write_cube(tmp_path / "identity.cube", 5, lambda r, g, b: (r, g, b))
    frame = _ramp()
    out = _apply(Recolor(saturation=1, lut=str(path)), frame)
    assert np.abs(out.astype(int) - frame).max() <= 1


def test_known_lut_and_trilinear_between_grid_points(tmp_path: Path) -> None:
    # Output red = input green squared: not linear, so the lookup must interpolate.
    path = _write_cube(tmp_path / "swap.cube", 3, lambda r, g, b: (g * g, 1 - r, b))
    lut = read_cube(path)
    assert lut.size == 3 and lut.title == "test"
    table = dense_table(lut)
    frame = np.array([[[0, 64, 255], [255, 191, 0], [128, 128, 128]]], np.uint8)
    out = apply_dense(frame, table)
    # green 64/255 = 0.251 lies between grid points 0 and 0.5 (values 0 and 0.25):
    # 0.25 * (0.251 / 0.5) = 0.1255 -> 32
    # green 191/255 = 0.749 between 0.5 and 1 (0.25 and 1): 0.25 + 0.75 * 0.498 = 0.6235 -> 159
    # green 128/255 = 0.50196: 0.25 + 0.75 * 0.00392 = 0.25294 -> 64.5 -> 65
    np.testing.assert_array_equal(out[0, :, 0], [32, 159, 65])
    np.testing.assert_array_equal(out[0, :, 1], [255, 0, 127])
    np.testing.assert_array_equal(out[0, :, 2], frame[0, :, 2])
    strength = _apply(Recolor(saturation=1, lut=str(path), lut_strength=0.5), frame)
    assert abs(int(strength[0, 0, 1]) - 160) <= 1  # halfway between 64 and 255


def test_lut_domain_is_respected(tmp_path: Path) -> None:
    # Domain 0..0.5: every input above half maps to the top of the table.
    path = _write_cube(
        tmp_path / "d.cube",
        2,
        lambda r, g, b: (r, g, b),
        "DOMAIN_MIN 0 0 0\nDOMAIN_MAX 0.5 0.5 0.5",
    )
    out = apply_dense(np.array([[[64, 200, 0]]], np.uint8), dense_table(read_cube(path)))
    np.testing.assert_array_equal(out[0, 0], [128, 255, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("LUT_3D_SIZE 2\n0 0 0\n", "LUT_3D_SIZE 2 needs 8 rows, found 1"),
        ("0 0 0\n", "no LUT_3D_SIZE line"),
        ("LUT_1D_SIZE 4\n", "line 1: 1D LUTs are not supported"),
        ("LUT_3D_SIZE 2\n0 0 x\n", "line 2: expected three numbers, got '0 0 x'"),
        ("LUT_3D_SIZE 1\n", "LUT_3D_SIZE must be 2..256, got 1"),
        ("LUT_3D_SIZE two\n", "expected an integer after LUT_3D_SIZE"),
        (
            "DOMAIN_MIN 1 1 1\nDOMAIN_MAX 0 1 1\nLUT_3D_SIZE 2\n" + "0 0 0\n" * 8,
            "DOMAIN_MAX must be above",
        ),
    ],
)
def test_bad_cube_files(text: str, message: str) -> None:
    with pytest.raises(VfxError, match=message):
        parse_cube(text, "bad.cube")


def test_lut_paths_resolve_against_the_preset_folder(tmp_path: Path) -> None:
    _write_cube(tmp_path / "look.cube", 2, lambda r, g, b: (r, g, b))
    effect = Recolor.from_params({"lut": "look.cube"}, base_dir=tmp_path)
    assert effect.lut == str((tmp_path / "look.cube").resolve())
    with pytest.raises(
        VfxError, match=r"'lut': file not found: .*missing.cube \(paths are relative"
    ):
        Recolor.from_params({"lut": "missing.cube"}, base_dir=tmp_path)
