"""``npz``: soft probabilities plus metadata in one NumPy archive, re-importable.

Members (``np.load(OUT)`` reads them without pickle):

- ``masks``: ``[T, N, H, W]`` float16 probabilities 0..1, objects in ``object_ids`` order;
- ``object_ids``: ``[N]`` int32;
- ``meta``: a JSON string, the export description (names, fps, size, source video).

The archive is written and read one frame at a time (the ``masks`` member is a
stream of frames), so a long clip never sits in memory. :func:`open_npz_masks`
also reads archives from other tools that hold ``masks`` as ``[T, H, W]`` (one
object) or ``[T, N, H, W]``: floats as probabilities, bool as 0/1, uint8 as 0..255.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from vfx import limits
from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.mask_formats.imported_masks import ImportedMasks
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.sidecar import check_description, object_names
from vfx.safe_yaml import echo

_MASKS = "masks.npy"
_STORED = np.dtype("<f2")
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def write_npz(job: ExportJob, out: Path) -> int:
    """Write the export to the ``.npz`` file ``out``; returns the number of frames."""
    if job.layout == "labels":
        raise VfxError("npz stores per-object probabilities; use --combine separate or union")
    ids = list(job.objects)
    shape = (job.frame_count, len(ids), job.height, job.width)
    with (
        atomic_output(out) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
    ):
        with archive.open(_MASKS, "w", force_zip64=True) as member:
            header = {"descr": _STORED.str, "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_2_0(member, header)
            for frame in job.frames():
                stack = np.stack([frame.masks[i] for i in ids])  # N x [H, W] -> [N, H, W]
                member.write(stack.astype(_STORED).tobytes())
        _write_member(archive, "object_ids.npy", np.asarray(ids, np.int32))
        _write_member(archive, "meta.npy", np.array(json.dumps(job.description("npz"))))
    return job.frame_count


def _write_member(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with archive.open(name, "w") as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


class _FrameStream:
    """Frames of the ``masks`` member, read by seeking inside the compressed member."""

    def __init__(self, path: Path) -> None:
        self._archive = zipfile.ZipFile(path)
        self._member: IO[bytes] = self._archive.open(_MASKS)
        version = np.lib.format.read_magic(self._member)
        read_header = _HEADER_READERS.get(version)
        if read_header is None:
            raise VfxError(
                f"{path} uses .npy format {version}; save it with numpy's default format"
            )
        shape, fortran, dtype = read_header(self._member)
        if fortran or len(shape) not in (3, 4) or dtype.kind not in "buf":
            raise VfxError(
                f"{path} 'masks' must be a [T, H, W] or [T, N, H, W] array of numbers "
                f"(it is {echo(shape)} {dtype.str}); re-export it"
            )
        self.shape = shape if len(shape) == 4 else (shape[0], 1, *shape[1:])
        self.dtype = dtype
        self._start = self._member.tell()
        self._frame_bytes = dtype.itemsize * int(np.prod(self.shape[1:]))
        held = self._archive.getinfo(_MASKS).file_size - self._start
        if held != self._frame_bytes * self.shape[0]:
            raise VfxError(
                f"{path} 'masks' declares {echo(shape)} {dtype.str} but holds {held} bytes; "
                "re-export it"
            )

    def read(self, index: int) -> np.ndarray:
        """``[N, H, W]`` float32 probabilities of frame ``index``."""
        self._member.seek(self._start + index * self._frame_bytes)
        data = np.frombuffer(self._member.read(self._frame_bytes), self.dtype)
        frame = data.reshape(self.shape[1:])  # flat -> [N, H, W]
        if self.dtype == np.uint8:
            return frame.astype(np.float32) / np.float32(255.0)
        return np.clip(frame.astype(np.float32), 0.0, 1.0)


def _meta(archive: np.lib.npyio.NpzFile, path: Path) -> object:
    array = archive["meta"]
    if array.dtype.kind != "U" or array.ndim != 0:
        raise VfxError(f"{path} 'meta' must be one JSON string; re-export it")
    return json.loads(str(array))


def _object_ids(archive: np.lib.npyio.NpzFile, path: Path) -> list[int]:
    array = archive["object_ids"]
    if array.ndim != 1 or array.dtype.kind not in "iu" or (array.size and array.min() < 1):
        raise VfxError(
            f"{path} 'object_ids' must be a 1-D array of whole numbers from 1 "
            f"(it is {echo(array.shape)} {array.dtype.str}); re-export it"
        )
    return [int(i) for i in array]


def open_npz_masks(path: Path) -> ImportedMasks:
    """Open a vfx ``.npz`` export (or a plain ``masks`` archive) as a mask source."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename != _MASKS:
                    limits.METADATA_BYTES.check(info.file_size, f"{path} member {info.filename}")
        with np.load(path, allow_pickle=False) as archive:
            members = set(archive.files)
            meta = _meta(archive, path) if "meta" in members else None
            ids = _object_ids(archive, path) if "object_ids" in members else None
        if "masks" not in members:
            raise VfxError(f"{path} has no 'masks' array; pass a vfx npz export")
        stream = _FrameStream(path)
    except (OSError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise VfxError(f"cannot read {path} ({exc}); pass a vfx npz export") from exc
    frames, count, height, width = stream.shape
    limits.OBJECTS.check(count, f"masks {path}")
    limits.IMAGE_PIXELS.check(height * width, f"masks {path} ({width}x{height})")
    if meta is not None:
        meta = check_description(meta, f"{path} (meta)")
        names = object_names(meta)
    else:
        names = {i: f"obj{i}" for i in (ids or range(1, count + 1))}
    order = ids or list(names)
    if len(order) != count:
        raise VfxError(f"{path} lists {len(order)} object ids for {count} masks; re-export it")

    def read(index: int) -> dict[int, np.ndarray]:
        planes = stream.read(index)
        return {obj: planes[k] for k, obj in enumerate(order)}

    fps = float(meta["fps"]) if meta and meta.get("fps") else None
    return ImportedMasks(path, names, frames, (width, height), read, fps, meta)
