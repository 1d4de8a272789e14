"""What an output path may replace, checked before any work starts.

One rule for every output vfx writes (renders, mask exports, ``track -o``
copies, the demo folder, previews):

* ``--force`` replaces only a previous output of the same kind: a file for a
  file; a folder only when it is empty or is a vfx output that holds nothing
  else. vfx marks every folder it creates with :data:`OUTPUT_MARKER`, a small
  JSON file listing the entries it wrote; a folder holding anything the marker
  does not list is the user's, and is never replaced. Folders written before
  the marker existed are recognised by their masklet metadata or mask sidecar.
* An output may not be, contain, or lie inside any of its inputs.
* The folder the output goes into must exist and accept a file, so a read-only
  or missing folder is found before rendering, not after.

:func:`check_output_path` applies the rule up front; :func:`check_replaceable`
is applied again by :func:`vfx.io.atomic.atomic_output` right before it
replaces anything, so no code path can delete a user's folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from vfx.errors import VfxError

OUTPUT_MARKER = ".vfx-output"
"""File name of the marker in every folder output vfx creates."""
_MARKER_FORMAT = "vfx-output"
# Folders written before the marker existed: (metadata file, its "format" value), and the
# entries such a folder may hold besides it (anything else means the user added files).
_LEGACY_MARKERS = (("meta.json", "vfx-masklets"), ("vfx-masks.json", "vfx-masks"))
_LEGACY_SUFFIXES = (".png", ".mkv", ".mp4", ".json", ".npz")
_LEGACY_FOLDER = re.compile(r"^(objects|images|masks|\d+([_-].+)?)$")
_MARKER_BYTES_MAX = 64 << 20

STALE_PARTIAL_SECONDS = 24 * 3600
"""A temporary still beside its output after this long belongs to a run that was killed
outright (SIGKILL, power loss); interrupted runs (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) clean up
after themselves. Younger ones may belong to a run in another process and are left alone."""


def mark_output_folder(folder: Path) -> None:
    """Write :data:`OUTPUT_MARKER` into ``folder``, listing what the folder holds now."""
    entries = sorted(p.name for p in folder.iterdir() if p.name != OUTPUT_MARKER)
    data = {"format": _MARKER_FORMAT, "version": 1, "entries": entries}
    (folder / OUTPUT_MARKER).write_text(json.dumps(data) + "\n", encoding="utf-8")


def _marker_entries(folder: Path) -> set[str] | None:
    """The entries a folder's marker lists, or None when it has no valid marker."""
    marker = folder / OUTPUT_MARKER
    try:
        if not marker.is_file() or marker.stat().st_size > _MARKER_BYTES_MAX:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _MARKER_FORMAT:
        return None
    entries = data.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None
    return set(entries)


def _legacy_stray(folder: Path) -> str | None:
    """For a pre-marker vfx output: the first entry vfx would not have written, or None.

    A folder without a pre-marker vfx metadata file is all stray: its first entry.
    """
    entries = sorted(folder.iterdir())
    if not any(_has_format(folder / name, fmt) for name, fmt in _LEGACY_MARKERS):
        return entries[0].name
    for entry in entries:
        if entry.is_dir() and not _LEGACY_FOLDER.match(entry.name):
            return entry.name
        if not entry.is_dir() and entry.suffix.lower() not in _LEGACY_SUFFIXES:
            return entry.name
    return None


def _has_format(path: Path, fmt: str) -> bool:
    try:
        if not path.is_file() or path.stat().st_size > _MARKER_BYTES_MAX:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == fmt


def foreign_entry(folder: Path) -> str | None:
    """The name of something in ``folder`` that no vfx output put there, or None.

    An empty folder, and a vfx output folder holding only what its marker lists
    (or a pre-marker vfx output), hold nothing foreign.
    """
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return None
    listed = _marker_entries(folder)
    if listed is None:
        return _legacy_stray(folder)
    extra = [n for n in names if n != OUTPUT_MARKER and n not in listed]
    return extra[0] if extra else None


def check_replaceable(path: Path, *, folder: bool) -> None:
    """Raise :class:`VfxError` unless ``path`` is absent or a previous output of the same kind.

    Args:
        path: the output file or folder.
        folder: whether the new output is a folder.
    """
    if not os.path.lexists(path):
        return
    if path.is_symlink():
        raise VfxError(f"output {path} is a symbolic link; remove it or choose another path")
    if path.is_dir() != folder:
        have, want = ("a folder", "file") if path.is_dir() else ("a file", "folder")
        raise VfxError(
            f"output {path} is {have}; --force replaces only a previous {want} output, "
            "choose another path"
        )
    if folder:
        stray = foreign_entry(path)
        if stray is not None:
            raise VfxError(
                f"output folder {path} holds other files ({stray}); vfx replaces only an empty "
                "folder or its own output: choose a new folder"
            )


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_output_path(
    path: str | Path,
    *,
    force: bool,
    inputs: tuple[str | Path | None, ...] = (),
    folder: bool = False,
) -> Path:
    """Validate an output path before any work starts; returns it as a :class:`Path`.

    Args:
        path: the output file or folder.
        force: whether an existing previous output may be replaced.
        inputs: files or folders the work reads; None entries are skipped.
        folder: whether the output is a folder.

    Raises:
        VfxError: the output is, contains or lies inside an input; it exists and
            ``force`` is not given; it exists as something that is not a previous
            output of the same kind (see the module docstring); or its folder is
            missing or not writable.
    """
    out = Path(path)
    resolved = out.resolve()
    for src in inputs:
        if src is None:
            continue
        source = Path(src).resolve()
        if resolved == source:
            raise VfxError(f"output {out} is the input itself; choose another output path")
        if _inside(source, resolved):
            raise VfxError(f"output {out} contains the input {src}; choose another output path")
        if source.is_dir() and _inside(resolved, source):
            raise VfxError(
                f"output {out} lies inside the input folder {src}; choose a path outside it"
            )
    if os.path.lexists(out):
        if not force:
            raise VfxError(f"output {out} already exists; pass --force to overwrite it")
        check_replaceable(out, folder=folder)
    check_writable_folder(out.parent if str(out.parent) else Path("."))
    return out


def check_writable_folder(parent: Path) -> None:
    """Raise :class:`VfxError` unless a file can be created in ``parent``.

    Creates and removes a probe file, which also catches read-only mounts (where
    ``os.access`` is no help when running as root).
    """
    if not parent.exists():
        raise VfxError(f"output folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise VfxError(f"output folder {parent} is not a folder; choose another output path")
    try:
        fd, probe = tempfile.mkstemp(prefix=".vfx-probe-", dir=parent)
    except OSError as exc:
        raise VfxError(
            f"cannot write in {parent} ({exc.strerror}); choose a folder you can write to"
        ) from None
    os.close(fd)
    os.unlink(probe)


def remove_stale_temporaries(
    folder: Path, patterns: tuple[str, ...], max_age_s: float = STALE_PARTIAL_SECONDS
) -> None:
    """Delete entries of ``folder`` matching ``patterns`` untouched for ``max_age_s`` seconds.

    Used beside outputs (``.<name>.partial-*``, ``.vfx-audio-*``) and in the masklet
    cache: what a killed run left behind, old enough that no live run owns it.
    """
    now = time.time()
    for pattern in patterns:
        for entry in folder.glob(pattern):
            try:
                stale = now - entry.lstat().st_mtime > max_age_s
            except FileNotFoundError:  # its run just finished or cleaned up
                continue
            if not stale:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
