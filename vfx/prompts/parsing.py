"""Prompts from the command line and from prompt files, checked against the video.

``--point FRAME:X,Y[:OBJ][:neg]`` and ``--box FRAME:X0,Y0,X1,Y1[:OBJ]`` give
clicks and boxes in pixels of the displayed (rotation-applied) frame; OBJ
defaults to 1. ``--prompts FILE`` takes the JSON or YAML layout of docs/prompts.md,
where a ``mask`` entry names a grayscale PNG relative to the prompt file.
Everything is turned into :class:`~vfx.prompts.model.ObjectPrompts`, and
:func:`validate_prompts` checks it against the video's size and length before
any model loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.prompts.model import FramePrompt, ObjectPrompts
from vfx.safe_yaml import echo, load_yaml
from vfx.whole_numbers import whole_number

POINT_SYNTAX = "--point FRAME:X,Y[:OBJ][:neg] (e.g. --point 0:320,240 or --point 12:80,60:2:neg)"
BOX_SYNTAX = "--box FRAME:X0,Y0,X1,Y1[:OBJ] (e.g. --box 0:100,80,300,260:1)"
LEAVE_SYNTAX = "--leave FRAME[:OBJ] (e.g. --leave 90 or --leave 90:2)"


@dataclass
class _FrameDraft:
    """Prompts gathered for one object on one frame before they become a FramePrompt."""

    points: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    box: list[float] | None = None
    mask: np.ndarray | None = None
    leave: bool = False


@dataclass
class _ObjectDraft:
    name: str | None = None
    frames: dict[int, _FrameDraft] = field(default_factory=dict)

    def frame(self, index: int) -> _FrameDraft:
        return self.frames.setdefault(index, _FrameDraft())


def _coords(text: str, count: int, what: str, syntax: str) -> list[float]:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(np.isfinite(values)):
        raise VfxError(f"{what} needs {count} comma-separated numbers, got '{text}'; use {syntax}")
    return values


def parse_point(text: str) -> tuple[int, int, list[float], int]:
    """Parse ``FRAME:X,Y[:OBJ][:neg]`` into ``(frame, obj_id, [x, y], label)``."""
    parts = text.strip().split(":")
    if len(parts) < 2 or len(parts) > 4:
        raise VfxError(f"cannot read point '{text}'; use {POINT_SYNTAX}")
    frame = whole_number(parts[0], f"point '{text}': frame", f"use {POINT_SYNTAX}")
    xy = _coords(parts[1], 2, f"point '{text}'", POINT_SYNTAX)
    obj_id, label = 1, 1
    for extra in parts[2:]:
        if extra.lower() in ("neg", "pos"):
            label = 0 if extra.lower() == "neg" else 1
        else:
            obj_id = _object_id(extra, f"point '{text}'", POINT_SYNTAX)
    return frame, obj_id, xy, label


def parse_box(text: str) -> tuple[int, int, list[float]]:
    """Parse ``FRAME:X0,Y0,X1,Y1[:OBJ]`` into ``(frame, obj_id, [x0, y0, x1, y1])``."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise VfxError(f"cannot read box '{text}'; use {BOX_SYNTAX}")
    frame = whole_number(parts[0], f"box '{text}': frame", f"use {BOX_SYNTAX}")
    box = _coords(parts[1], 4, f"box '{text}'", BOX_SYNTAX)
    obj_id = _object_id(parts[2], f"box '{text}'", BOX_SYNTAX) if len(parts) == 3 else 1
    return frame, obj_id, box


def parse_leave(text: str) -> tuple[int, int]:
    """Parse ``FRAME[:OBJ]`` into ``(frame, obj_id)``: the object leaves the video at FRAME."""
    parts = text.strip().split(":")
    if len(parts) not in (1, 2):
        raise VfxError(f"cannot read leave marker '{text}'; use {LEAVE_SYNTAX}")
    frame = whole_number(parts[0], f"leave marker '{text}': frame", f"use {LEAVE_SYNTAX}")
    obj_id = _object_id(parts[1], f"leave marker '{text}'", LEAVE_SYNTAX) if len(parts) == 2 else 1
    return frame, obj_id


def _object_id(text: str, what: str, syntax: str) -> int:
    obj_id = whole_number(text, f"{what}: object id", f"use {syntax}")
    if obj_id < 1:
        raise VfxError(f"{what}: object ids start at 1, got {obj_id}; use {syntax}")
    return obj_id


def _set_box(draft: _FrameDraft, box: list[float], where: str) -> None:
    if draft.box is not None:
        raise VfxError(f"{where}: an object can have only one box per frame; drop one of the boxes")
    draft.box = box


def parse_prompts(
    points: list[str] | tuple[str, ...] = (),
    boxes: list[str] | tuple[str, ...] = (),
    prompts_file: str | Path | None = None,
    leaves: list[str] | tuple[str, ...] = (),
) -> list[ObjectPrompts]:
    """Gather ``--point``/``--box``/``--leave`` options and a ``--prompts`` file into
    per-object prompts.

    Prompts for the same object on the same frame are merged (points and a box
    can be combined; a leave marker stands alone on its frame). Objects come back
    sorted by id; each object's prompts by frame. Coordinates are not checked
    here; see :func:`validate_prompts`.
    """
    drafts: dict[int, _ObjectDraft] = {}
    if prompts_file is not None:
        _read_prompts_file(Path(prompts_file), drafts)
    for text in points:
        frame, obj_id, xy, label = parse_point(text)
        draft = drafts.setdefault(obj_id, _ObjectDraft()).frame(frame)
        draft.points.append(xy)
        draft.labels.append(label)
    for text in boxes:
        frame, obj_id, box = parse_box(text)
        _set_box(drafts.setdefault(obj_id, _ObjectDraft()).frame(frame), box, f"box '{text}'")
    for text in leaves:
        frame, obj_id = parse_leave(text)
        drafts.setdefault(obj_id, _ObjectDraft()).frame(frame).leave = True
    objects = []
    for obj_id in sorted(drafts):
        gathered = drafts[obj_id]
        frame_prompts = [
            FramePrompt(
                frame=index,
                points=f.points or None,
                labels=f.labels or None,
                box=f.box,
                mask=f.mask,
                leave=f.leave,
            )
            for index, f in sorted(gathered.frames.items())
        ]
        _check_segments(obj_id, frame_prompts)
        objects.append(
            ObjectPrompts(id=obj_id, name=gathered.name or f"obj{obj_id}", prompts=frame_prompts)
        )
    return objects


def _check_segments(obj_id: int, prompts: list[FramePrompt]) -> None:
    """A leave marker stands alone on its frame, and an object needs something to track."""
    for fp in prompts:
        if fp.leave and (fp.points or fp.box is not None or fp.mask is not None):
            raise VfxError(
                f"object {obj_id} frame {fp.frame}: a leave marker cannot share its frame with "
                "clicks, a box or a mask; put the leave marker on the frame the object is gone"
            )
    if prompts and all(fp.leave for fp in prompts):
        raise VfxError(
            f"object {obj_id} has only leave markers; give it a point, box or mask to track "
            f"(e.g. --point 0:320,240:{obj_id})"
        )


def _read_prompts_file(path: Path, drafts: dict[int, _ObjectDraft]) -> None:
    where = f"prompt file {path}"
    if not path.is_file():
        raise VfxError(f"{where} does not exist; check the path given to --prompts")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VfxError(f"cannot read {where} ({exc}); give a UTF-8 JSON or YAML file") from None
    data = load_yaml(text, where, fix="fix the file (see `vfx render --help`)")
    objects = data.get("objects") if isinstance(data, dict) else None
    if not isinstance(objects, list) or not objects:
        raise VfxError(
            f"{where} needs an 'objects' list, e.g. "
            '{"objects": [{"id": 1, "prompts": [{"frame": 0, "points": [[x, y]]}]}]}'
        )
    for n, obj in enumerate(objects):
        if not isinstance(obj, dict) or not isinstance(obj.get("prompts"), list):
            raise VfxError(f"{where}: object {n} needs an 'id' and a 'prompts' list")
        obj_id = obj.get("id", n + 1)
        if not isinstance(obj_id, int) or isinstance(obj_id, bool) or obj_id < 1:
            raise VfxError(
                f"{where}: object {n} has id {echo(obj_id)}; ids are whole numbers from 1"
            )
        draft = drafts.setdefault(obj_id, _ObjectDraft())
        if obj.get("name") is not None:
            draft.name = str(obj["name"])
        for entry in obj["prompts"]:
            _read_frame_entry(entry, draft, f"{where}: object {obj_id}", path.parent)


def _read_frame_entry(entry: Any, draft: _ObjectDraft, where: str, base: Path) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("frame"), int) or entry["frame"] < 0:
        raise VfxError(
            f"{where}: each prompt needs a 'frame' (a whole number from 0), got {echo(entry)}"
        )
    unknown = set(entry) - {"frame", "points", "labels", "box", "mask", "leave"}
    if unknown:
        raise VfxError(
            f"{where}: unknown prompt keys {sorted(unknown)}; "
            "use frame, points, labels, box, mask, leave"
        )
    frame = draft.frame(entry["frame"])
    where = f"{where} frame {entry['frame']}"
    if "leave" in entry:
        if entry["leave"] is not True or set(entry) != {"frame", "leave"}:
            raise VfxError(
                f"{where}: a leave marker is {{\"frame\": N, \"leave\": true}} with nothing else"
            )
        frame.leave = True
        return
    if entry.get("points") is not None:
        pts = entry["points"]
        if not isinstance(pts, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
            for p in pts
        ):
            raise VfxError(f"{where}: 'points' must be a list of [x, y] pairs")
        labels = entry.get("labels", [1] * len(pts))
        if (
            not isinstance(labels, list)
            or len(labels) != len(pts)
            or any(v not in (0, 1) for v in labels)
        ):
            raise VfxError(
                f"{where}: 'labels' must list 1 (object) or 0 (background) for each point"
            )
        frame.points.extend([float(x), float(y)] for x, y in pts)
        frame.labels.extend(int(v) for v in labels)
    if entry.get("box") is not None:
        box = entry["box"]
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(isinstance(v, (int, float)) for v in box)
        ):
            raise VfxError(f"{where}: 'box' must be [x0, y0, x1, y1]")
        _set_box(frame, [float(v) for v in box], where)
    if entry.get("mask") is not None:
        frame.mask = _read_mask_png(base / str(entry["mask"]), where)
    if not frame.points and frame.box is None and frame.mask is None:
        raise VfxError(f"{where}: give 'points', a 'box' or a 'mask'")


def _read_mask_png(path: Path, where: str) -> np.ndarray:
    """A grayscale mask image as ``[H, W]`` bool (white = object)."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) if path.is_file() else None
    if image is None:
        raise VfxError(
            f"{where}: cannot read mask image {path}; "
            "give a grayscale PNG path relative to the prompt file"
        )
    return image > 127


def validate_prompts(
    objects: list[ObjectPrompts], width: int, height: int, frame_count: int | None
) -> None:
    """Check prompts against a ``width`` x ``height`` video of ``frame_count`` frames
    (``None``: a stream of unknown length). The one check of prompts: the CLI's, the
    API's and the tracker's.

    Raises:
        VfxError: a prompt is empty or has a label count unlike its point count, lies on
            a frame before 0 or past the end, a point or box lies outside the frame, a box
            is empty, or a mask is not ``[H, W]`` of the video's size.
    """
    last = None if frame_count is None else frame_count - 1
    for obj in objects:
        for fp in obj.prompts:
            where = f"object {obj.id}, frame {fp.frame}"
            if fp.points is None and fp.box is None and fp.mask is None and not fp.leave:
                raise VfxError(f"prompt for {where} is empty; give points, a box or a mask")
            if fp.labels is not None and len(fp.labels) != len(fp.points or []):
                raise VfxError(
                    f"prompt for {where} has {len(fp.points or [])} points but "
                    f"{len(fp.labels)} labels; give one label per point"
                )
            if fp.frame < 0:
                raise VfxError(f"prompt for {where}: frame numbers start at 0")
            if last is not None and fp.frame > last:
                raise VfxError(
                    f"prompt for {where} is beyond the last frame ({last}) of this "
                    f"{frame_count}-frame video; use a frame index from 0 to {last}"
                )
            for x, y in fp.points or []:
                if not (0 <= x < width and 0 <= y < height):
                    raise VfxError(
                        f"point ({x:g}, {y:g}) for {where} is outside the {width}x{height} frame; "
                        f"use x from 0 to {width - 1} and y from 0 to {height - 1} "
                        "(`vfx preview` draws a pixel grid)"
                    )
            if fp.box is not None:
                x0, y0, x1, y1 = fp.box
                if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
                    raise VfxError(
                        f"box [{x0:g}, {y0:g}, {x1:g}, {y1:g}] for {where} must satisfy "
                        f"0 <= x0 < x1 <= {width} and 0 <= y0 < y1 <= {height}; fix the box corners"
                    )
            if fp.mask is not None and np.asarray(fp.mask).ndim != 2:
                raise VfxError(f"mask for {where} must be a single-channel [H, W] image")
            if fp.mask is not None and fp.mask.shape != (height, width):
                raise VfxError(
                    f"mask for {where} is {fp.mask.shape[1]}x{fp.mask.shape[0]} but the video is "
                    f"{width}x{height}; give a mask image the size of the video"
                )


def prompts_identity(objects: list[ObjectPrompts]) -> list[dict[str, Any]]:
    """A JSON-ready description of the prompts, for cache keys and store metadata.

    Masks are represented by a SHA-256 of their packed bits and their shape,
    so equal prompts give equal descriptions.
    """
    out = []
    for obj in objects:
        entries = []
        for fp in obj.prompts:
            entry: dict[str, Any] = {"frame": fp.frame}
            if fp.points:
                entry["points"] = [[float(x), float(y)] for x, y in fp.points]
                entry["labels"] = [int(v) for v in (fp.labels or [1] * len(fp.points))]
            if fp.box is not None:
                entry["box"] = [float(v) for v in fp.box]
            if fp.leave:
                entry["leave"] = True
            if fp.mask is not None:
                bits = np.packbits(np.asarray(fp.mask) > 0.5)
                entry["mask"] = {
                    "shape": list(fp.mask.shape),
                    "sha256": hashlib.sha256(bits.tobytes()).hexdigest(),
                }
            entries.append(entry)
        out.append({"id": obj.id, "name": obj.name, "prompts": entries})
    return out
