"""The studio's state: which video is open, its objects and their prompts, what was tracked and
rendered. Kept in ``<workspace>/.studio/session.json`` (written atomically after every change)
so a page reload or a server restart comes back where it was.

Each object keeps its prompts as the list of the user's actions, in order, so *undo* pops the
last one: ``{"frame": F, "point": [x, y], "label": 1|0}``, ``{"frame": F, "box": [x0, y0, x1,
y1]}``, ``{"frame": F, "mask": PNG path}`` (an automatic candidate the user picked; see
:func:`save_mask`) or ``{"frame": F, "leave": true}`` (the object leaves the video on F; see
:meth:`vfx.prompts.model.ObjectPrompts.absent_at`). Coordinates are video pixels.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.prompts.model import FramePrompt, ObjectPrompts
from vfx.prompts.parsing import prompts_identity

STATE_DIR = ".studio"
STATE_FILE = "session.json"


@dataclass
class StudioObject:
    """One object: id (from 1), display name, and the user's prompt actions in order."""

    id: int
    name: str
    actions: list[dict[str, Any]] = field(default_factory=list)

    def prompts(self) -> ObjectPrompts:
        """The actions as :class:`ObjectPrompts`: one prompt per frame, clicks in order, the
        last box on a frame; a leave marker stands alone on its frame."""
        frames: dict[int, FramePrompt] = {}
        for action in self.actions:
            fp = frames.setdefault(action["frame"], FramePrompt(frame=action["frame"]))
            if "point" in action:
                fp.points = [*(fp.points or []), [float(v) for v in action["point"]]]
                fp.labels = [*(fp.labels or []), int(action["label"])]
            elif "box" in action:
                fp.box = [float(v) for v in action["box"]]
            elif "mask" in action:
                fp.mask = mask_file(action["mask"])
            elif action.get("leave"):
                fp.leave = True
        return ObjectPrompts(self.id, self.name, [frames[f] for f in sorted(frames)])

    def identity(self) -> list[dict[str, Any]]:
        """What the tracked masklet depends on (the prompts, not the name)."""
        return object_identity(self.prompts())


@functools.lru_cache(maxsize=64)
def mask_file(path: str) -> np.ndarray:
    """A mask prompt's PNG (``<workspace>/.studio/masks/<sha256>.png``, never rewritten) as a
    read-only ``[H, W]`` bool array."""
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise VfxError(f"the mask prompt {path} is missing; undo that prompt or delete its object")
    mask = image > 127
    mask.flags.writeable = False
    return mask


def save_mask(state_dir: Path, mask: np.ndarray) -> str:
    """Keep ``mask`` ``[H, W]`` bool as a mask prompt's PNG, named by its content; returns the
    path an action stores."""
    bits = np.packbits(mask)
    folder = state_dir / "masks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(bits.tobytes()).hexdigest()[:24]}.png"
    if not path.is_file():
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp.png")
        cv2.imwrite(str(tmp), mask.astype(np.uint8) * 255)
        os.replace(tmp, path)
    return str(path)


def object_identity(obj: ObjectPrompts) -> list[dict[str, Any]]:
    """What an object's tracked masklet depends on: its prompts per frame (not its name)."""
    return prompts_identity([obj])[0]["prompts"]


@dataclass
class VideoState:
    """Everything the studio knows about one video."""

    objects: list[StudioObject] = field(default_factory=list)
    next_id: int = 1
    preset: str | None = None
    overrides: list[str] = field(default_factory=list)
    tracks: dict[int, dict[str, Any]] = field(default_factory=dict)  # obj -> {store, identity}
    outputs: dict[str, str] = field(default_factory=dict)  # render / prompts / export -> path

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": [{"id": o.id, "name": o.name, "actions": o.actions} for o in self.objects],
            "next_id": self.next_id,
            "preset": self.preset,
            "overrides": self.overrides,
            "tracks": {str(k): v for k, v in self.tracks.items()},
            "outputs": self.outputs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VideoState:
        return cls(
            objects=[StudioObject(int(o["id"]), str(o["name"]), list(o["actions"]))
                     for o in data.get("objects", [])],
            next_id=int(data.get("next_id", 1)),
            preset=data.get("preset"),
            overrides=[str(v) for v in data.get("overrides", [])],
            tracks={int(k): dict(v) for k, v in data.get("tracks", {}).items()},
            outputs={str(k): str(v) for k, v in data.get("outputs", {}).items()},
        )  # fmt: skip


class StudioSession:
    """The persisted state of one workspace; every method is safe to call from many threads.

    Args:
        workspace: the workspace folder (created if missing).
        video: a video to open now (else the last one opened in this workspace, if any).
    """

    def __init__(self, workspace: Path, video: Path | None = None) -> None:
        self.workspace = workspace.resolve()
        self.state_dir = self.workspace / STATE_DIR
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.version = 0
        self.video: Path | None = None
        self.videos: dict[str, VideoState] = {}
        self._load()
        if video is not None:
            self.open_video(video)

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        path = self.state_dir / STATE_FILE
        if not path.is_file():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.videos = {k: VideoState.from_json(v) for k, v in data.get("videos", {}).items()}
            self.video = Path(data["video"]) if data.get("video") else None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VfxError(
                f"cannot read the studio state {path} ({exc}); move it away to start afresh"
            ) from None

    def _save(self) -> None:
        """Write the state atomically (temp file, then rename) and bump :attr:`version`."""
        self.version += 1
        data = {
            "video": None if self.video is None else str(self.video),
            "videos": {k: v.to_json() for k, v in self.videos.items()},
        }
        path = self.state_dir / STATE_FILE
        tmp = path.with_name(f".{STATE_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    # ------------------------------------------------------------------ the open video

    def open_video(self, video: Path) -> None:
        """Make ``video`` current (its objects come back if it was open before)."""
        with self.lock:
            self.video = video.resolve()
            self.videos.setdefault(str(self.video), VideoState())
            self._save()

    @property
    def current(self) -> VideoState:
        """The state of the open video."""
        if self.video is None:
            raise VfxError("no video is open; pick one from the workspace")
        return self.videos.setdefault(str(self.video), VideoState())

    def object(self, obj_id: int) -> StudioObject:
        for obj in self.current.objects:
            if obj.id == obj_id:
                return obj
        raise VfxError(f"there is no object {obj_id}; add one with +")

    def object_prompts(self, only_prompted: bool = True) -> list[ObjectPrompts]:
        """Every object's prompts (objects without clicks or boxes left out by default)."""
        with self.lock:
            out = [obj.prompts() for obj in self.current.objects]
        return [o for o in out if o.segment_prompts or not only_prompted]

    # ------------------------------------------------------------------ edits

    def add_object(self, name: str | None = None) -> StudioObject:
        with self.lock:
            state = self.current
            obj = StudioObject(state.next_id, name or f"object {state.next_id}")
            state.next_id += 1
            state.objects.append(obj)
            self._save()
            return obj

    def rename(self, obj_id: int, name: str) -> None:
        name = name.strip()[:80]
        if not name:
            raise VfxError("an object's name cannot be empty")
        with self.lock:
            self.object(obj_id).name = name
            self._save()

    def delete(self, obj_id: int) -> None:
        with self.lock:
            state = self.current
            state.objects = [o for o in state.objects if o.id != obj_id]
            state.tracks.pop(obj_id, None)
            self._save()

    def add_action(self, obj_id: int, action: dict[str, Any]) -> None:
        """Add a click, box or leave marker (already validated); a leave marker replaces the
        clicks and box on its frame, and a click or box replaces a leave marker there."""
        with self.lock:
            obj = self.object(obj_id)
            frame = action["frame"]
            if action.get("leave"):
                obj.actions = [a for a in obj.actions if a["frame"] != frame]
            else:
                obj.actions = [a for a in obj.actions if not (a["frame"] == frame
                                                              and a.get("leave"))]
            obj.actions.append(action)
            self._save()

    def undo(self, obj_id: int) -> None:
        with self.lock:
            obj = self.object(obj_id)
            if obj.actions:
                obj.actions.pop()
                self._save()

    def clear(self, obj_id: int) -> None:
        with self.lock:
            self.object(obj_id).actions = []
            self._save()

    def set_preset(self, name: str | None, overrides: list[str]) -> None:
        with self.lock:
            self.current.preset = name
            self.current.overrides = list(overrides)
            self._save()

    def set_tracks(self, tracks: dict[int, dict[str, Any]]) -> None:
        with self.lock:
            self.current.tracks.update(tracks)
            self._save()

    def set_output(self, kind: str, path: Path) -> None:
        with self.lock:
            self.current.outputs[kind] = str(path)
            self._save()

    def touch(self) -> None:
        """Tell the page something it shows changed (a click's mask is ready)."""
        with self.lock:
            self.version += 1

    # ------------------------------------------------------------------ reading

    def stale_objects(self) -> list[int]:
        """Objects with prompts whose tracked masklet is missing or from older prompts."""
        with self.lock:
            state = self.current
            return [
                o.id for o in state.objects
                if o.prompts().segment_prompts
                and state.tracks.get(o.id, {}).get("identity") != o.identity()
            ]  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the open video's state for the page."""
        with self.lock:
            if self.video is None:
                return {"video": None, "version": self.version}
            data = self.current.to_json()
            data["video"] = str(self.video)
            data["version"] = self.version
            data["stale"] = self.stale_objects()
            return data
