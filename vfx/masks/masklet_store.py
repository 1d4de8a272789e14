"""The masklet store: per-object soft masks of a whole video, compact on disk, random access.

Tracking writes one soft mask per object per frame; rendering, previews and
exports read them back, in order or at random. The on-disk format is described
in ``docs/masklet-store.md``:

* ``meta.json`` holds the video's identity, size, fps, frame count, the objects
  and what produced the masks, plus ``complete``, which is true only once the
  writer closed cleanly;
* ``objects/<id>/<chunk>.bin`` holds ``chunk_frames`` consecutive frames of one
  object, each quantised to uint8 and deflated on its own, so that one frame
  can be read without inflating its neighbours.

A store is written under a temporary name and renamed into place on close, and
its metadata says ``complete: false`` until then, so an interrupted tracker
never leaves something that looks like a finished store.
"""

from __future__ import annotations

import json
import os
import reprlib
import struct
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.masks.morphology import from_uint8, to_uint8

FORMAT_NAME = "vfx-masklets"
FORMAT_VERSION = 1
META_FILE = "meta.json"
DEFAULT_CHUNK_FRAMES = 32
_ZLIB_LEVEL = 3
_MAGIC = b"VFXM"
# Chunk header: magic, frame count n; then n + 1 little-endian uint32 offsets.
_HEADER = struct.Struct("<4sI")


def _as_uint8(mask: Any, shape: tuple[int, int]) -> np.ndarray:
    """``[H, W]`` uint8 0..255 from a float 0..1, bool or uint8 mask."""
    array = np.asarray(mask)
    if array.shape != shape:
        raise ValueError(f"mask of shape {array.shape} does not match the store's {shape}")
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.bool_:
        return array.view(np.uint8) * np.uint8(255)
    return to_uint8(array.astype(np.float32, copy=False))


def _encode_chunk(blobs: list[bytes]) -> bytes:
    offsets = np.cumsum([0] + [len(blob) for blob in blobs], dtype=np.uint64)
    header = _HEADER.pack(_MAGIC, len(blobs)) + offsets.astype("<u4").tobytes()
    return header + b"".join(blobs)


def _chunk_offsets(data: bytes, expected_frames: int) -> np.ndarray:
    """``[n + 1]`` int64 byte offsets of the frames in a chunk file's ``data``, from its start.

    Raises ValueError when the header is not a chunk's, holds another frame count than
    ``expected_frames``, or its offsets do not end exactly at the end of ``data``.
    """
    magic, count = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        raise ValueError("bad magic")
    if count != expected_frames:
        raise ValueError(f"{count} frames where {expected_frames} belong")
    body = _HEADER.size + 4 * (count + 1)
    if len(data) < body:
        raise ValueError("truncated header")
    offsets = np.frombuffer(data, "<u4", count + 1, _HEADER.size).astype(np.int64)
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0) or body + offsets[-1] != len(data):
        raise ValueError(f"frame lengths do not add up to the file's {len(data)} bytes")
    return offsets + body


def _inflate_frame(blob: bytes, size: int) -> bytes:
    """Inflate one frame to exactly ``size`` bytes; never more (a deflate bomb stops there)."""
    inflater = zlib.decompressobj()
    data = inflater.decompress(blob, size)
    if len(data) != size or inflater.unconsumed_tail or not inflater.eof:
        raise ValueError(f"a frame inflates to other than {size} bytes")
    return data


def _chunk_path(root: Path, obj_id: int, chunk: int) -> Path:
    return root / "objects" / str(obj_id) / f"{chunk:06d}.bin"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class MaskletWriter:
    """Write mode of a masklet store; make one with :meth:`MaskletStore.create`.

    Frames may arrive in any order; each frame is quantised and deflated as it
    arrives, and a chunk file is written as soon as all its frames are in.
    """

    def __init__(self, directory: Path, meta: dict[str, Any], chunk_frames: int) -> None:
        self.path = directory
        self._atomic = atomic_output(directory, directory=True)
        self._root = self._atomic.__enter__()
        self._shape = (int(meta["height"]), int(meta["width"]))
        self._chunk_frames = chunk_frames
        self._names: dict[int, str] = {
            int(item["id"]): str(item.get("name") or f"obj{item['id']}")
            for item in meta.get("objects", [])
        }
        self._pending: dict[int, dict[int, dict[int, bytes]]] = {}  # chunk -> index -> obj -> blob
        self._written: set[tuple[int, int]] = set()  # (object id, chunk) already on disk
        self._flushed: set[int] = set()  # chunks whose frames are all on disk
        self._last_index = -1
        self._closed = False
        self.meta = dict(meta)
        self.meta.update(
            format=FORMAT_NAME,
            version=FORMAT_VERSION,
            chunk_frames=chunk_frames,
            encoding="uint8-deflate-per-frame",
            complete=False,
        )
        self._expected_frames = meta.get("frame_count")
        self.meta["objects"] = self._object_list()
        (self._root / "objects").mkdir()
        _write_json(self._root / META_FILE, self.meta)

    def _object_list(self) -> list[dict[str, Any]]:
        return [{"id": obj_id, "name": name} for obj_id, name in sorted(self._names.items())]

    def write_frame(self, index: int, masks: Mapping[int, Any]) -> None:
        """Store the masks of frame ``index``.

        Args:
            index: frame index, 0-based.
            masks: ``{object_id: [H, W]}`` float32 0..1 (bool and uint8 also accepted).
                An object missing from a frame is empty there; an id not named in
                the metadata is added as ``obj<id>``.
        """
        if self._closed:
            raise ValueError("the masklet store is already closed")
        if index < 0:
            raise ValueError(f"frame index must be >= 0, got {index}")
        chunk, _ = divmod(index, self._chunk_frames)
        if chunk in self._flushed:
            raise ValueError(f"frame {index} belongs to a chunk that is already written")
        frame = self._pending.setdefault(chunk, {}).setdefault(index, {})
        for obj_id, mask in masks.items():
            key = int(obj_id)
            self._names.setdefault(key, f"obj{key}")
            frame[key] = zlib.compress(_as_uint8(mask, self._shape).tobytes(), _ZLIB_LEVEL)
        self._last_index = max(self._last_index, index)
        if len(self._pending[chunk]) == self._chunk_frames:
            self._flush_chunk(chunk, self._chunk_frames)

    def _chunk_length(self, chunk: int, frame_count: int) -> int:
        return min(self._chunk_frames, frame_count - chunk * self._chunk_frames)

    def _flush_chunk(self, chunk: int, length: int, obj_ids: list[int] | None = None) -> None:
        """Write chunk ``chunk`` of the given objects (all known ones by default).

        Frames or objects that were never written are stored as empty masks.
        """
        frames = self._pending.pop(chunk, {})
        self._flushed.add(chunk)
        empty = zlib.compress(bytes(self._shape[0] * self._shape[1]), _ZLIB_LEVEL)
        first = chunk * self._chunk_frames
        for obj_id in self._names if obj_ids is None else obj_ids:
            blobs = [frames.get(first + i, {}).get(obj_id, empty) for i in range(length)]
            path = _chunk_path(self._root, obj_id, chunk)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_encode_chunk(blobs))
            self._written.add((obj_id, chunk))

    def close(self) -> None:
        """Write the last chunks, mark the store complete, and move it into place."""
        if self._closed:
            return
        frame_count = max(self._last_index + 1, int(self._expected_frames or 0))
        for chunk in range(-(-frame_count // self._chunk_frames)):
            length = self._chunk_length(chunk, frame_count)
            if chunk in self._pending:
                self._flush_chunk(chunk, length)
            else:
                # Objects first seen after this chunk was written are empty here.
                late = [o for o in self._names if (o, chunk) not in self._written]
                if late:
                    self._flush_chunk(chunk, length, late)
        self.meta["frame_count"] = frame_count
        self.meta["objects"] = self._object_list()
        self.meta["complete"] = True
        _write_json(self._root / META_FILE, self.meta)
        self._closed = True
        self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        """Discard everything written so far; nothing is left under the store's name."""
        if self._closed:
            return
        self._closed = True
        reason = RuntimeError("masklet store aborted")
        self._atomic.__exit__(RuntimeError, reason, None)

    def __enter__(self) -> MaskletWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _read_meta(directory: Path) -> dict[str, Any]:
    """The metadata of a store, or :class:`VfxError` when it is not a usable store."""
    if not directory.is_dir():
        raise VfxError(f"masklet store {directory} does not exist; run `vfx track` to create it")
    meta_path = directory / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VfxError(
            f"{directory} is not a masklet store (no {META_FILE}); "
            "pass the folder that `vfx track` wrote"
        ) from None
    except (OSError, ValueError) as exc:
        raise VfxError(
            f"masklet store {directory} has an unreadable {META_FILE} ({exc}); "
            "delete it and run `vfx track` again"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise VfxError(
            f"{directory} is not a masklet store ({META_FILE} has no "
            f"format {FORMAT_NAME!r}); pass the folder `vfx track` wrote"
        )
    if meta.get("version") != FORMAT_VERSION:
        raise VfxError(
            f"masklet store {directory} has format version {meta.get('version')}, "
            f"this vfx reads version {FORMAT_VERSION}; run `vfx track` again"
        )
    if meta.get("complete") is not True:
        raise VfxError(
            f"masklet store {directory} is incomplete (tracking was interrupted); "
            "delete it and run `vfx track` again"
        )
    problem = _meta_problem(meta)
    if problem is not None:
        raise VfxError(
            f"masklet store {directory} has a damaged {META_FILE} ({problem}); "
            "delete it and run `vfx track` again"
        )
    return meta


MAX_SIDE = 16384
"""Largest width or height a store may declare (a mask plane is width x height bytes)."""


def _meta_problem(meta: dict[str, Any]) -> str | None:
    """What is wrong with a complete store's metadata types and ranges, or None."""
    for key, low, high in (
        ("width", 1, MAX_SIDE),
        ("height", 1, MAX_SIDE),
        ("frame_count", 0, 1 << 31),
        ("chunk_frames", 1, 1 << 20),
    ):
        value = meta.get(key)
        if value is None:
            return f"no {key!r}"
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"{key} must be a whole number in {low}..{high}, not {reprlib.repr(value)}"
    fps = meta.get("fps")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps < 1e6:
        return f"fps must be a positive number, not {reprlib.repr(fps)}"
    objects = meta.get("objects")
    if not isinstance(objects, list) or not all(
        isinstance(o, dict)
        and isinstance(o.get("id"), int)
        and not isinstance(o["id"], bool)
        and 0 <= o["id"] < 1 << 31
        and isinstance(o.get("name", ""), str)
        for o in objects
    ):
        return "objects must be a list of {id: whole number >= 0, name: text}"
    return None


def is_complete_store(directory: str | Path) -> bool:
    """Whether ``directory`` holds a finished masklet store of this format version."""
    try:
        _read_meta(Path(directory))
    except VfxError:
        return False
    return True


def verify_store(directory: str | Path) -> str | None:
    """What is damaged in the complete store at ``directory`` (metadata or chunks), or None."""
    try:
        return MaskletStore.open(directory).damage()
    except VfxError as exc:
        return str(exc)


def find_cached_store(cache_root: str | Path, key: str) -> Path | None:
    """The complete store cached under ``cache_root / key``, or ``None`` when there is none."""
    candidate = Path(cache_root) / key
    return candidate if is_complete_store(candidate) else None


class MaskletStore:
    """Read mode of a masklet store: per-object soft masks by frame, in any order.

    Satisfies :class:`vfx.sources.base.MaskSource`. Use :meth:`open` to read and
    :meth:`create` to write.

    Attributes:
        path: the store's folder.
        meta: the metadata dict (width, height, fps, frame_count, objects,
            video {path, hash}, model, prompts, settings, format fields).
        object_ids: object ids, ascending.
        names: display name per object id.
        frame_count, width, height, fps: the video's.
    """

    def __init__(self, directory: Path, meta: dict[str, Any]) -> None:
        self.path = directory
        self.meta = meta
        self.object_ids: list[int] = [int(item["id"]) for item in meta["objects"]]
        self.names: dict[int, str] = {
            int(item["id"]): str(item["name"]) for item in meta["objects"]
        }
        self.frame_count: int = int(meta["frame_count"])  # validated by _read_meta
        self.width: int = int(meta["width"])
        self.height: int = int(meta["height"])
        self.fps: float = float(meta["fps"])
        self._chunk_frames = int(meta["chunk_frames"])
        self._cache: dict[int, tuple[int, bytes, np.ndarray]] = {}  # obj -> (chunk, data, offsets)

    @classmethod
    def create(
        cls,
        directory: str | Path,
        meta: dict[str, Any],
        *,
        chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    ) -> MaskletWriter:
        """Start writing a store at ``directory`` (replaced on close if it exists).

        Args:
            directory: the store's folder; it appears only when the writer closes.
            meta: at least ``width``, ``height`` and ``fps``; usually also
                ``frame_count``, ``objects`` [{id, name}], ``video`` {path, hash},
                ``model``, ``prompts`` and ``settings``. Values must be JSON-able.
            chunk_frames: frames per chunk file.

        Returns:
            A :class:`MaskletWriter`; use it as a context manager or call ``close``.
        """
        missing = [key for key in ("width", "height", "fps") if key not in meta]
        if missing:
            raise ValueError(f"masklet store metadata lacks {', '.join(missing)}")
        return MaskletWriter(Path(directory), meta, chunk_frames)

    @classmethod
    def open(cls, directory: str | Path) -> MaskletStore:
        """Open a complete store for reading; :class:`VfxError` if it is missing or unfinished."""
        path = Path(directory)
        return cls(path, _read_meta(path))

    def _frame_bytes(self, obj_id: int, index: int) -> bytes:
        chunk, offset = divmod(index, self._chunk_frames)
        cached = self._cache.get(obj_id)
        if cached is None or cached[0] != chunk:
            path = _chunk_path(self.path, obj_id, chunk)
            try:
                data = path.read_bytes()
                starts = _chunk_offsets(data, self._chunk_length(chunk))
            except (OSError, ValueError, struct.error) as exc:
                raise VfxError(
                    f"masklet store {self.path} is damaged ({path.name} of object "
                    f"{obj_id}: {exc}); run `vfx track` again"
                ) from None
            cached = (chunk, data, starts)
            self._cache[obj_id] = cached
        _, data, starts = cached
        try:
            blob = data[starts[offset] : starts[offset + 1]]
            return _inflate_frame(blob, self.width * self.height)
        except (zlib.error, ValueError) as exc:
            raise VfxError(
                f"masklet store {self.path} is damaged (frame {index} of object "
                f"{obj_id}: {exc}); run `vfx track` again"
            ) from None

    def _chunk_length(self, chunk: int) -> int:
        return min(self._chunk_frames, self.frame_count - chunk * self._chunk_frames)

    def damage(self) -> str | None:
        """What is wrong with the store's chunk files (headers and lengths), or None.

        Reads every chunk's header and size but inflates nothing, so it is cheap
        enough to run on every cache hit.
        """
        chunks = -(-self.frame_count // self._chunk_frames)
        for obj_id in self.object_ids:
            for chunk in range(chunks):
                path = _chunk_path(self.path, obj_id, chunk)
                try:
                    _chunk_offsets(path.read_bytes(), self._chunk_length(chunk))
                except (OSError, ValueError, struct.error) as exc:
                    return f"object {obj_id} {path.name}: {exc}"
        return None

    def _check(self, index: int, obj_id: int | None = None) -> None:
        if not 0 <= index < self.frame_count:
            raise VfxError(
                f"frame {index} is outside the masklets (0..{self.frame_count - 1}); "
                "pick a frame inside the tracked video"
            )
        if obj_id is not None and obj_id not in self.names:
            raise VfxError(
                f"object {obj_id} is not in the masklets (objects: "
                f"{', '.join(map(str, self.object_ids))}); pick one of those"
            )

    def mask_uint8(self, obj_id: int, index: int) -> np.ndarray:
        """``[H, W]`` uint8 0..255 mask of one object at frame ``index`` (as stored)."""
        self._check(index, obj_id)
        data = self._frame_bytes(obj_id, index)
        return np.frombuffer(data, np.uint8).reshape(self.height, self.width)  # flat -> [H, W]

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """``{object_id: [H, W] float32 0..1}`` at frame ``index``; ``frame`` is unused."""
        return {obj: from_uint8(self.mask_uint8(obj, index)) for obj in self.object_ids}

    def iter_masks(
        self, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
        """Stream ``(index, masks_at(index))`` for frames ``start`` to ``stop`` (exclusive)."""
        stop = self.frame_count if stop is None else min(stop, self.frame_count)
        for index in range(start, stop):
            yield index, self.masks_at(index)

    def __iter__(self) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
        return self.iter_masks()

    def __len__(self) -> int:
        return self.frame_count
