"""Reading ``.cube`` 3D colour LUTs and applying them with trilinear interpolation.

The ``.cube`` text format (Adobe/Resolve): keyword lines ``TITLE``,
``LUT_3D_SIZE N``, ``DOMAIN_MIN r g b``, ``DOMAIN_MAX r g b``, ``#`` comments,
then N^3 lines of ``r g b`` output values with the red input index changing
fastest, then green, then blue.

Applying a LUT to 8-bit frames: the trilinear interpolation is evaluated once
for every one of the 2^24 possible input colours, into a 64 MiB table of packed
RGBA words, so each frame needs one gather per pixel. Because interpolating a
grid onto a finer regular grid is separable, that table is built with one 1-D
linear interpolation per axis.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vfx.errors import VfxError

_MAX_SIZE = 256


@dataclass(frozen=True)
class CubeLut:
    """A parsed 3D LUT: ``table`` ``[N(b), N(g), N(r), 3]`` float32 outputs, and its domain."""

    title: str
    table: np.ndarray
    domain_min: tuple[float, float, float]
    domain_max: tuple[float, float, float]

    @property
    def size(self) -> int:
        """Grid points per axis."""
        return self.table.shape[0]


def parse_cube(text: str, source: str = "<string>") -> CubeLut:
    """Parse ``.cube`` text; VfxError naming ``source`` and the line on any problem."""
    title = ""
    size = 0
    domain_min = (0.0, 0.0, 0.0)
    domain_max = (1.0, 1.0, 1.0)
    rows: list[tuple[float, float, float]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        keyword = words[0].upper()
        where = f"{source} line {number}"
        if keyword == "TITLE":
            title = line[len(words[0]) :].strip().strip('"')
        elif keyword == "LUT_3D_SIZE":
            size = _int_word(words, where)
            if not 2 <= size <= _MAX_SIZE:
                raise VfxError(f"{where}: LUT_3D_SIZE must be 2..{_MAX_SIZE}, got {size}")
        elif keyword == "LUT_1D_SIZE":
            raise VfxError(f"{where}: 1D LUTs are not supported; export a 3D .cube LUT")
        elif keyword in ("DOMAIN_MIN", "DOMAIN_MAX"):
            triple = _float_triple(words[1:], where)
            if keyword == "DOMAIN_MIN":
                domain_min = triple
            else:
                domain_max = triple
        elif keyword[0].isalpha():
            continue  # other keywords (e.g. LUT_IN_VIDEO_RANGE) do not change 3D lookups
        else:
            rows.append(_float_triple(words, where))
    if size == 0:
        raise VfxError(f"{source}: no LUT_3D_SIZE line; is this a 3D .cube LUT?")
    if len(rows) != size**3:
        raise VfxError(f"{source}: LUT_3D_SIZE {size} needs {size**3} rows, found {len(rows)}")
    if any(hi <= lo for lo, hi in zip(domain_min, domain_max, strict=True)):
        raise VfxError(f"{source}: DOMAIN_MAX must be above DOMAIN_MIN")
    table = np.asarray(rows, np.float32).reshape(size, size, size, 3)  # [N^3, 3] -> [b, g, r, 3]
    return CubeLut(title=title, table=table, domain_min=domain_min, domain_max=domain_max)


def read_cube(path: str | Path) -> CubeLut:
    """Parse the ``.cube`` file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise VfxError(f"cannot read LUT {path}: {exc.strerror or exc}") from None
    return parse_cube(text, str(path))


def dense_table(lut: CubeLut) -> np.ndarray:
    """``[2^24]`` uint32: for input ``r | g << 8 | b << 16`` the packed RGBA output (A = 255)."""
    steps = np.arange(256, dtype=np.float32) / 255.0
    # Per axis (r, g, b): lower grid index and fraction for each 8-bit input value.
    axes = []
    for channel in range(3):
        low, high = lut.domain_min[channel], lut.domain_max[channel]
        position = np.clip((steps - low) / (high - low), 0.0, 1.0) * (lut.size - 1)
        lower = np.minimum(position.astype(np.int64), lut.size - 2)
        axes.append((lower, (position - lower)[:, None]))
    (r_low, r_frac), (g_low, g_frac), (b_low, b_frac) = axes
    grid = lut.table * np.float32(255.0)  # [N(b), N(g), N(r), 3] in output 8-bit units
    grid = _lerp(grid[:, :, r_low], grid[:, :, r_low + 1], r_frac)  # [N, N, 256, 3]
    grid = _lerp(grid[:, g_low], grid[:, g_low + 1], g_frac[:, :, None])  # [N, 256, 256, 3]
    grid += 0.5  # so that the truncating cast below rounds
    packed = np.empty((256, 256, 256, 4), np.uint8)  # [b, g, r, rgba]
    packed[..., 3] = 255
    chunk = 16
    for start in range(0, 256, chunk):
        lower = b_low[start : start + chunk]
        frac = b_frac[start : start + chunk, :, None, None]
        values = _lerp(grid[lower], grid[lower + 1], frac)  # [chunk, 256, 256, 3]
        np.clip(values, 0.0, 255.0, out=values)
        packed[start : start + chunk, ..., :3] = values
    return packed.reshape(-1, 4).view(np.uint32)[:, 0]  # [2^24, 4] uint8 -> [2^24] uint32


def _lerp(low: np.ndarray, high: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """``low + (high - low) * frac``, reusing ``high``'s buffer (a fresh gather)."""
    high -= low
    high *= frac
    high += low
    return high


def apply_dense(
    frame: np.ndarray,
    table: np.ndarray,
    work: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Look up every pixel of ``frame`` ``[H, W, 3]`` uint8 in a :func:`dense_table`.

    ``work`` (``[H, W, 4]`` uint8) and ``out`` (``[H, W, 3]`` uint8) are optional
    buffers for the packed pixels and the result.
    """
    rgba = cv2.cvtColor(frame, cv2.COLOR_RGB2RGBA, dst=work)
    keys = rgba.view(np.uint32)[..., 0]  # [H, W, 4] uint8 -> [H, W] uint32 (little endian)
    np.bitwise_and(keys, 0xFFFFFF, out=keys)
    # Keys are below 2^24, so 'clip' never clips; it skips the bounds check.
    np.take(table, keys, out=keys, mode="clip")
    return cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB, dst=out)


_TABLES: dict[tuple[str, int, int], np.ndarray] = {}
_TABLES_LOCK = threading.Lock()


def cached_dense_table(path: str) -> np.ndarray:
    """:func:`dense_table` of the file at ``path``, built once per file version."""
    stat = Path(path).stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _TABLES_LOCK:
        table = _TABLES.get(key)
        if table is None:
            # Keep only the newest few tables: each one holds 64 MiB.
            while len(_TABLES) >= 2:
                _TABLES.pop(next(iter(_TABLES)))
            table = _TABLES[key] = dense_table(read_cube(path))
    return table


def _int_word(words: list[str], where: str) -> int:
    try:
        return int(words[1])
    except (IndexError, ValueError):
        raise VfxError(f"{where}: expected an integer after {words[0]}") from None


def _float_triple(words: list[str], where: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(w) for w in words)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise VfxError(f"{where}: expected three numbers, got {' '.join(words)!r}")
    return (values[0], values[1], values[2])
