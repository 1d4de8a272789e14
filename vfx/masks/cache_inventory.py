"""The masklet cache as something a user can see and manage: list, show, clear.

Each entry is one finished masklet store under the cache root
(:func:`~vfx.masks.default_cache_root`), named by its cache key. Its
``meta.json`` says which video (absolute path and content hash), prompts and
model made it, so entries can be described without reading any masks.
Unfinished stores (``.<key>.partial-*``, a tracker still running or killed) are
counted apart and removed by ``clear`` only when :func:`clear_entries` is asked to.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vfx.errors import VfxError
from vfx.masks.cache_key import default_cache_root
from vfx.masks.masklet_store import META_FILE, MaskletStore, is_complete_store


@dataclass(frozen=True)
class CacheEntry:
    """One cached masklet store.

    Attributes:
        key: the cache key (the folder name, 32 hex digits).
        path: the store folder.
        size: bytes on disk.
        created: when tracking finished (seconds since the epoch).
        meta: the store's metadata (video, prompts, model, settings, frames).
    """

    key: str
    path: Path
    size: int
    created: float
    meta: dict[str, Any]

    @property
    def video(self) -> str:
        """The absolute path of the video the masks were tracked from."""
        return str((self.meta.get("video") or {}).get("path") or "?")

    @property
    def model(self) -> str:
        """The model name (without the checkpoint hash)."""
        return str(self.meta.get("model") or "?").split(":")[0]

    def prompts(self) -> str:
        """The prompts, short: ``1 dog: 0:320,240; 2 obj2: box 0:10,10,90,80``."""
        parts = []
        for obj in self.meta.get("prompts") or []:
            clicks = []
            for entry in obj.get("prompts", []):
                frame = entry.get("frame")
                for (x, y), label in zip(entry.get("points", []), entry.get("labels", []),
                                         strict=False):
                    clicks.append(f"{frame}:{x:g},{y:g}" + ("" if label else ":neg"))
                if "box" in entry:
                    clicks.append(f"box {frame}:" + ",".join(f"{v:g}" for v in entry["box"]))
                if "mask" in entry:
                    clicks.append(f"mask {frame}")
            parts.append(f"{obj.get('id')} {obj.get('name')}: {' '.join(clicks)}")
        return "; ".join(parts) or "?"

    def frames(self) -> str:
        """``all 24 frames`` or ``frames 48..95 of 240``."""
        count = int(self.meta.get("frame_count", 0))
        start, stop = self.meta.get("frames") or [0, count]
        if (start, stop) == (0, count):
            return f"all {count} frames"
        return f"frames {start}..{stop - 1} of {count}"


def human_size(size: float) -> str:
    """``512 B``, ``1.4 MB``, ``2.0 GB``."""
    units = ("B", "kB", "MB", "GB")
    power = 0
    while size >= 1000 and power < len(units) - 1:
        size /= 1000
        power += 1
    return f"{size:.0f} B" if power == 0 else f"{size:.1f} {units[power]}"


def human_age(seconds: float) -> str:
    """``40 s``, ``5 min``, ``3 h``, ``12 days``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _folder_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def list_entries(root: str | Path | None = None) -> list[CacheEntry]:
    """The finished stores under ``root`` (default: the cache root), newest first."""
    folder = default_cache_root() if root is None else Path(root)
    if not folder.is_dir():
        return []
    entries = []
    for path in folder.iterdir():
        if path.name.startswith(".") or not is_complete_store(path):
            continue
        store = MaskletStore.open(path)
        created = (path / META_FILE).stat().st_mtime
        entries.append(CacheEntry(path.name, path, _folder_size(path), created, store.meta))
    return sorted(entries, key=lambda entry: entry.created, reverse=True)


AUTO_CANDIDATES_FOLDER = ".auto-candidates"
"""Where ``--auto`` keeps the automatic mask generator's candidates, inside the cache root."""


def derived_folders(root: str | Path | None = None) -> list[Path]:
    """Folders under ``root`` derived from videos but not masklet stores (``--auto``'s candidates);
    ``vfx cache clear --all`` removes them too."""
    folder = (default_cache_root() if root is None else Path(root)) / AUTO_CANDIDATES_FOLDER
    return [folder] if folder.is_dir() else []


def partial_stores(root: str | Path | None = None) -> list[Path]:
    """Unfinished stores under ``root`` (a tracker running now, or one that was killed)."""
    folder = default_cache_root() if root is None else Path(root)
    return sorted(folder.glob(".*.partial-*")) if folder.is_dir() else []


def find_entry(key: str, root: str | Path | None = None) -> CacheEntry:
    """The entry whose key starts with ``key`` (or whose folder is ``key``).

    Raises:
        VfxError: no entry or several entries match.
    """
    entries = list_entries(root)
    path = Path(key)
    matches = [e for e in entries if e.key.startswith(path.name) and path.name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise VfxError(f"no cached masklets match {key!r}; see `vfx cache list`")
    raise VfxError(
        f"{key!r} matches {len(matches)} cache entries; give more of the key "
        f"({', '.join(e.key[:12] for e in matches[:4])}, ...)"
    )


def clear_entries(entries: Sequence[CacheEntry], partials: Sequence[Path] = ()) -> int:
    """Delete ``entries`` (with their lock files) and the folders ``partials`` (unfinished
    stores, derived folders); returns the bytes freed."""
    freed = 0
    for entry in entries:
        freed += entry.size
        shutil.rmtree(entry.path, ignore_errors=True)
        (entry.path.parent / f".{entry.path.name}.lock").unlink(missing_ok=True)
    for path in partials:
        freed += _folder_size(path)
        shutil.rmtree(path, ignore_errors=True)
    return freed


def describe_entry(entry: CacheEntry, now: float | None = None) -> list[tuple[str, str]]:
    """``(field, value)`` rows for ``vfx cache show``."""
    now = time.time() if now is None else now
    video = entry.video
    where = "" if Path(video).exists() else "  (no longer there)"
    rows = [
        ("key", entry.key),
        ("path", str(entry.path)),
        ("size", human_size(entry.size)),
        ("age", f"{human_age(now - entry.created)} ago"),
        ("video", video + where),
        ("hash", str((entry.meta.get("video") or {}).get("hash", "?"))),
        ("frames", f"{entry.frames()}, {entry.meta.get('width')}x{entry.meta.get('height')} "
                   f"at {float(entry.meta.get('fps', 0)):g} fps"),
        ("objects", ", ".join(f"{o['id']} ({o['name']})" for o in entry.meta.get("objects", []))),
        ("prompts", entry.prompts()),
        ("model", str(entry.meta.get("model", "?"))),
        ("settings", ", ".join(f"{k}={v}" for k, v in (entry.meta.get("settings") or {}).items())
         or "defaults"),
    ]
    seconds = entry.meta.get("tracking_seconds")
    if seconds:
        count = entry.meta.get("frames") or [0, entry.meta.get("frame_count", 0)]
        per = seconds / max(1, count[1] - count[0])
        rows.append(("tracking", f"{seconds:.1f} s ({per:.2f} s/frame)"))
    return rows


def store_summary(output: str | Path, store: MaskletStore) -> str:
    """The line ``vfx track`` prints: what was written, and how fast tracking ran."""
    objects = ", ".join(f"{i} ({store.names[i]})" for i in store.object_ids)
    start, stop = store.meta.get("frames") or [0, store.frame_count]
    segment = "" if (start, stop) == (0, store.frame_count) else f" (tracked {start}..{stop - 1})"
    text = f"wrote {output}: {store.frame_count} frames{segment}, objects {objects}"
    seconds = store.meta.get("tracking_seconds")
    if seconds:
        text += f"; tracked at {seconds / max(1, stop - start):.2f} s/frame"
    return text
