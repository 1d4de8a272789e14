"""The JSON description that travels with every vfx mask export.

Folder exports carry it as ``vfx-masks.json``; mask videos carry the same JSON in
a container tag; ``.npz`` and COCO RLE files embed it. The importer reads it back
to restore object ids and names, to tell label maps from masks, and to find the
mask part of a VACE or ComfyUI export.

Keys: ``format`` ("vfx-masks"), ``version``, ``export`` (the format name),
``layout`` ("objects": one mask per object, "mask": one combined mask,
"labels": label maps whose value is the object id), ``objects`` (``[{id, name}]``),
``width``, ``height``, ``fps``, ``frame_count``, ``source_video``, ``processing``
(objects, combine, dilate, feather, threshold, invert) and, for folder formats
whose masks sit in a sub-path, ``mask_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

from vfx.errors import VfxError
from vfx.safe_yaml import echo

SIDECAR_NAME = "vfx-masks.json"
FORMAT_TAG = "vfx-masks"
VERSION = 1
LAYOUTS = ("objects", "mask", "labels")


def write_sidecar(folder: Path, description: dict) -> None:
    """Write ``description`` as ``folder/vfx-masks.json``."""
    text = json.dumps(description, indent=2)
    (folder / SIDECAR_NAME).write_text(text + "\n", encoding="utf-8")


def read_sidecar(folder: Path) -> dict | None:
    """The description in ``folder/vfx-masks.json``, or ``None`` if there is none."""
    path = folder / SIDECAR_NAME
    if not path.is_file():
        return None
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VfxError(f"cannot read {path} ({exc}); fix or delete the file") from exc
    return check_description(description, str(path))


def check_description(description: object, where: str) -> dict:
    """Validate a vfx mask description; raise :class:`VfxError` naming ``where``."""
    if not isinstance(description, dict) or description.get("format") != FORMAT_TAG:
        raise VfxError(f"{where} is not a vfx mask description; remove it or re-export the masks")
    if description.get("layout") not in LAYOUTS:
        layout = description.get("layout")
        raise VfxError(f"{where} has layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    objects = description.get("objects")
    if not isinstance(objects, list) or not all(isinstance(o, dict) and "id" in o for o in objects):
        raise VfxError(f"{where} lacks an 'objects' list of {{id, name}}; re-export the masks")
    for obj in objects:
        if not _whole(obj["id"], 1):
            raise VfxError(
                f"{where} has object id {echo(obj['id'])}; ids are whole numbers from 1, "
                "fix or re-export the masks"
            )
    fps = description.get("fps")
    if fps is not None and (
        isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 1000
    ):
        raise VfxError(f"{where} has fps {echo(fps)}; it must be a number in (0, 1000]")
    for key in ("width", "height", "frame_count"):
        value = description.get(key)
        if value is not None and not _whole(value, 0):
            raise VfxError(f"{where} has {key} {echo(value)}; it must be a whole number >= 0")
    return description


def _whole(value: object, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def object_names(description: dict) -> dict[int, str]:
    """``{object_id: name}`` from a validated description, in its object order."""
    return {int(o["id"]): str(o.get("name") or f"obj{o['id']}") for o in description["objects"]}
