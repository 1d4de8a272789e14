"""What the studio does, as plain Python the routes call: show frames with masks, turn clicks
into masks, track, preview a preset, render, export and save prompts. Everything goes through
the same engine as the CLI (:mod:`vfx.sources.tracking`, :func:`vfx.api.render`,
:func:`vfx.mask_formats.export_masks`, the presets and the preview's one-frame masking).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import yaml

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.masks import MaskletStore
from vfx.prompts.model import FramePrompt, ObjectPrompts
from vfx.prompts.parsing import prompts_identity, validate_prompts
from vfx.sources.base import MaskSource
from vfx.studio.clicks import ClickSegmenter
from vfx.studio.frames import (
    OVERLAY_OPACITY,
    FrameCache,
    jpeg,
    object_hex,
    outline_thickness,
    overlay,
    rle,
)
from vfx.studio.jobs import Job, JobRunner
from vfx.studio.session import StudioSession, object_identity, save_mask
from vfx.studio.studio_masks import StudioMasks

if TYPE_CHECKING:
    from vfx.sources.auto_objects import Candidate
    from vfx.sources.sam2_source import ObjectScores

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")
EXPORT_FORMATS = ("vace", "comfy", "png", "ffv1")


@dataclass(frozen=True)
class StudioOptions:
    """Command-line choices: the SAM 2 model, or masks/chroma for looks without weights."""

    model: str | None = None
    checkpoint: str | None = None
    device: str = "auto"
    precision: str = "auto"
    masks: str | None = None
    chroma: str | None = None


class ProgressMasks:
    """A mask source that reports each frame to a job (and stops when it is cancelled)."""

    def __init__(self, source: MaskSource, job: Job, total: int) -> None:
        self._source, self._job, self._total = source, job, total
        self.object_ids = source.object_ids
        self.names = source.names
        self.frame_count = source.frame_count

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        self._job.progress(index + 1, self._total)
        return self._source.masks_at(index, frame)


class Studio:
    """One workspace's studio: the session, the open video's frames, clicks and jobs."""

    def __init__(self, workspace: Path, video: Path | None, options: StudioOptions) -> None:
        self.session = StudioSession(workspace, video)
        self.workspace = self.session.workspace
        self.options = options
        self.jobs = JobRunner()
        self._lock = threading.RLock()
        self._frames: FrameCache | None = None
        self._segmenter: ClickSegmenter | None = None
        self._stores: dict[str, MaskletStore] = {}
        self._clicks: dict[tuple[int, int, str], np.ndarray] = {}
        self._scores: dict[str, dict[str, Any]] = {}
        self._candidates: tuple[int, list[Candidate]] | None = None
        if self.session.video is not None:
            self.open(self.session.video)

    # ------------------------------------------------------------------ the video

    @property
    def frames(self) -> FrameCache:
        if self._frames is None:
            raise VfxError("no video is open; pick one from the workspace")
        return self._frames

    def open(self, video: Path) -> None:
        """Open ``video`` (checked now: a bad file is a one-line error)."""
        frames = FrameCache(video, proxy_root=self.session.state_dir / "proxy")
        with self._lock:
            if self._frames is not None:
                self._frames.close()
            self._frames = frames
            self._segmenter = ClickSegmenter(frames.rgb, self.options.model,
                                             self.options.checkpoint, self.options.device)
            self._clicks.clear()
            self._candidates = None
            self.session.open_video(video)

    @property
    def video_path(self) -> Path:
        """The open video's file."""
        path = self.frames.info.path
        if path is None:
            raise VfxError("no video is open; pick one from the workspace")
        return Path(path)

    def workspace_videos(self) -> list[str]:
        """Video files in the workspace (top level and one folder down), relative paths."""
        found = []
        for pattern in ("*", "*/*"):
            for path in sorted(self.workspace.glob(pattern)):
                rel = path.relative_to(self.workspace)
                if (path.suffix.lower() in VIDEO_SUFFIXES and path.is_file()
                        and not any(p.startswith(".") for p in rel.parts)
                        and rel.parts[0] not in ("renders", "exports")):
                    found.append(rel.as_posix())
        return found

    def info(self) -> dict[str, Any]:
        info = self.frames.info
        return {"width": info.width, "height": info.height, "fps": info.fps,
                "frame_count": info.frame_count, "name": self.video_path.name,
                "has_audio": info.has_audio}  # fmt: skip

    @property
    def looks_only(self) -> bool:
        """True with ``--masks`` or ``--chroma``: masks come from there, no clicking."""
        return bool(self.options.masks or self.options.chroma)

    # ------------------------------------------------------------------ masks

    def _store(self, path: str) -> MaskletStore | None:
        store = self._stores.get(path)
        if store is None and (Path(path) / "meta.json").is_file():
            store = self._stores[path] = MaskletStore.open(path)
        return store

    def view_source(self) -> MaskSource:
        """The masks shown on the page and rendered: --masks/--chroma, or the objects."""
        info = self.frames.info
        if self.looks_only:
            from vfx.sources.choice import mask_source

            return mask_source(info, masks=self.options.masks, chroma=self.options.chroma)
        with self.session.lock:
            objects = self.session.object_prompts(only_prompted=False)
            tracks = dict(self.session.current.tracks)
            stale = set(self.session.stale_objects())
        stores = {}
        for obj_id, track in tracks.items():
            store = self._store(track["store"])
            if store is not None and obj_id in store.object_ids:
                stores[obj_id] = store
        return StudioMasks(objects, stores, stale, self._click_mask,
                           (info.width, info.height), info.frame_count)  # fmt: skip

    def frame_jpeg(self, index: int, overlays: bool = True) -> bytes:
        """Frame ``index`` as JPEG, with every object's mask tinted on it."""
        self._check_frame(index)
        if not overlays:
            return self.frames.jpeg(index)
        # chroma keys the exact frame; the objects' masks do not look at it
        exact = self.frames.rgb(index) if self.looks_only else None
        masks = self.view_source().masks_at(index, exact)
        if not any(m.any() for m in masks.values()):
            return self.frames.jpeg(index)  # nothing to draw: the proxy's file as it is
        rgb = exact if exact is not None else self.frames.display_rgb(index)
        return jpeg(overlay(rgb, masks))

    def _check_frame(self, index: int) -> None:
        count = self.frames.info.frame_count
        if not 0 <= index < count:
            raise VfxError(f"frame {index} is outside this {count}-frame video")

    # ------------------------------------------------------------------ clicks

    def _click_dir(self) -> Path:
        key = hashlib.sha256(str(self.session.video).encode()).hexdigest()[:16]
        return self.session.state_dir / "clicks" / key

    @staticmethod
    def _frame_prompt(obj: ObjectPrompts, frame: int) -> FramePrompt | None:
        for fp in obj.segment_prompts:
            if fp.frame == frame:
                return fp
        return None

    @staticmethod
    def _prompt_key(fp: FramePrompt) -> str:
        identity = prompts_identity([ObjectPrompts(0, "", [fp])])[0]["prompts"]
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]

    def _click_mask(self, obj_id: int, frame: int) -> np.ndarray | None:
        """The click mask of the object's current prompts on ``frame``, if computed."""
        with self.session.lock:
            fp = self._frame_prompt(self.session.object(obj_id).prompts(), frame)
        if fp is None:
            return None
        key = (obj_id, frame, self._prompt_key(fp))
        mask = self._clicks.get(key)
        if mask is None:
            path = self._click_dir() / f"{obj_id}-{frame}-{key[2]}.png"
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) if path.is_file() else None
            if image is not None:
                mask = self._clicks[key] = image > 127
        return mask

    def add_prompt(self, obj_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Add a click (``point`` + ``label``), a ``box`` or a ``leave`` marker on ``frame`` and
        compute the object's mask there; returns ``{"iou": ..., "ms": decoder time}``."""
        import time

        action = self._action(body)
        if not action.get("leave"):
            if self.looks_only:
                raise VfxError("this studio shows --masks/--chroma masks; clicking needs SAM 2: "
                               "start `vfx studio` without --masks/--chroma")
            self._segmenter_or_fail().check_model()
        self.session.object(obj_id)  # exists?
        self.session.add_action(obj_id, action)
        if action.get("leave"):
            return {}
        started = time.perf_counter()
        with self.frames.interactive():
            iou = self.refresh_click(obj_id, action["frame"])
            masked = time.perf_counter()
            layer = self.mask_layer(action["frame"])
        return {"iou": iou, "ms": round(1000 * (masked - started), 1), "layer": layer,
                "layer_ms": round(1000 * (time.perf_counter() - masked), 1)}  # fmt: skip

    def mask_layer(self, index: int) -> dict[str, Any]:
        """Every object's mask on frame ``index`` for the page to draw over the frame without
        masks, so a click's mask shows without fetching a frame: ``{"frame", "opacity",
        "thickness", "objects": [{"id", "color", "rle"}]}``, each mask as
        :func:`~vfx.studio.frames.rle` run lengths at video size; the page tints and outlines
        them as :func:`~vfx.studio.frames.overlay` does."""
        self._check_frame(index)
        info = self.frames.info
        masks = self.view_source().masks_at(index)
        objects = [{"id": obj_id, "color": object_hex(obj_id), "rle": rle(masks[obj_id])}
                   for obj_id in sorted(masks) if (masks[obj_id] > 0.5).any()]  # fmt: skip
        return {"frame": index, "opacity": OVERLAY_OPACITY,
                "thickness": outline_thickness(info.width, info.height), "objects": objects}

    def _segmenter_or_fail(self) -> ClickSegmenter:
        if self._segmenter is None:
            raise VfxError("no video is open; pick one from the workspace")
        return self._segmenter

    def refresh_click(self, obj_id: int, frame: int) -> float | None:
        """Compute (and keep) the click mask of the object's prompts on ``frame``."""
        with self.session.lock:
            fp = self._frame_prompt(self.session.object(obj_id).prompts(), frame)
        if fp is None or self.looks_only:
            return None
        mask, iou = self._segmenter_or_fail().mask(fp)
        key = self._prompt_key(fp)
        self._clicks[(obj_id, frame, key)] = mask
        folder = self._click_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_output(folder / f"{obj_id}-{frame}-{key}.png") as tmp:
            # 1 bit per pixel, light deflate: a 1080p mask in a few milliseconds
            cv2.imwrite(str(tmp), mask.astype(np.uint8) * 255,
                        [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 1])  # fmt: skip
        self.session.touch()
        return iou

    def embed(self, frame: int) -> bool:
        """Cache frame ``frame``'s embedding (the page asks when the user stops on a frame);
        False when there is nothing to embed with."""
        self._check_frame(frame)
        if self.looks_only:
            return False
        segmenter = self._segmenter_or_fail()
        try:
            segmenter.check_model()
        except VfxError:
            return False
        segmenter.embed(frame)
        return True

    # ------------------------------------------------------------------ segment everything

    def start_segment(self, frame: int) -> Job:
        """Find the automatic candidates of ``frame`` in the background (see
        :meth:`ClickSegmenter.candidates`)."""
        self._check_frame(frame)
        if self.looks_only:
            raise VfxError("this studio shows --masks/--chroma masks; segmenting needs SAM 2: "
                           "start `vfx studio` without --masks/--chroma")  # fmt: skip
        self._segmenter_or_fail().check_model()
        return self.jobs.start("segment", lambda job: self._segment(job, frame))

    def _segment(self, job: Job, frame: int) -> dict[str, Any]:
        job.message = f"frame {frame}"
        found = self._segmenter_or_fail().candidates(frame)
        self._candidates = (frame, found)
        self.session.touch()
        return {"frame": frame, "count": len(found)}

    def candidates(self) -> dict[str, Any]:
        """The latest automatic candidates: ``{"frame": F, "candidates": [{id, bbox, area,
        score}]}`` (ids from 1, largest first), or ``{"frame": None, ...}`` before any."""
        frame, found = self._candidates or (None, [])
        return {"frame": frame, "candidates": [
            {"id": c.id, "bbox": c.bbox, "area": c.area, "score": round(c.score, 4),
             "color": object_hex(c.id)}
            for c in found
        ]}  # fmt: skip

    def candidates_jpeg(self) -> bytes:
        """The candidates' frame with every candidate tinted in its own colour (larger first,
        so smaller ones stay visible on top)."""
        if self._candidates is None:
            raise VfxError("no candidates yet: press Segment everything")
        frame, found = self._candidates
        return jpeg(overlay(self.frames.display_rgb(frame), {c.id: c.mask for c in found}))

    def add_candidate(self, number: int | None = None,
                      point: list[float] | None = None) -> dict[str, Any]:
        """Make candidate ``number`` (or the smallest one covering video pixel ``point``) a new
        object, prompted with its mask on the candidates' frame; returns ``{"added": id}``."""
        if self._candidates is None:
            raise VfxError("no candidates yet: press Segment everything")
        frame, found = self._candidates
        chosen: Candidate | None
        if point is not None:
            x, y = (int(v) for v in _numbers(point, 2, "point"))
            covering = [c for c in found if 0 <= y < c.mask.shape[0] and 0 <= x < c.mask.shape[1]
                        and c.mask[y, x]]  # fmt: skip
            if not covering:
                raise VfxError("no candidate covers that pixel; click inside a tinted region")
            chosen = min(covering, key=lambda c: c.area)
        else:
            chosen = next((c for c in found if c.id == number), None)
        if chosen is None:
            raise VfxError(f"there is no candidate {number}; pick one from the list")
        obj = self.session.add_object(f"candidate {chosen.id}")
        self.session.add_action(obj.id, {"frame": frame,
                                         "mask": save_mask(self.session.state_dir, chosen.mask)})
        self.refresh_click(obj.id, frame)
        return {"added": obj.id}

    def _action(self, body: dict[str, Any]) -> dict[str, Any]:
        info = self.frames.info
        frame = body.get("frame")
        if not isinstance(frame, int) or isinstance(frame, bool):
            raise VfxError("a prompt needs a whole-number 'frame'")
        self._check_frame(frame)
        if body.get("leave") is True:
            return {"frame": frame, "leave": True}
        if "point" in body:
            x, y = _numbers(body["point"], 2, "point")
            if not (0 <= x < info.width and 0 <= y < info.height):
                raise VfxError(f"point ({x:g}, {y:g}) is outside the {info.width}x{info.height} "
                               "frame")  # fmt: skip
            label = body.get("label", 1)
            if label not in (0, 1):
                raise VfxError("'label' is 1 (object) or 0 (background)")
            return {"frame": frame, "point": [round(x, 2), round(y, 2)], "label": label}
        if "box" in body:
            x0, y0, x1, y1 = _numbers(body["box"], 4, "box")
            x0, x1 = sorted((max(0.0, x0), min(float(info.width), x1)))
            y0, y1 = sorted((max(0.0, y0), min(float(info.height), y1)))
            if x1 - x0 < 2 or y1 - y0 < 2:
                raise VfxError("the box is too small; drag a larger box")
            return {"frame": frame, "box": [round(v, 2) for v in (x0, y0, x1, y1)]}
        raise VfxError("a prompt is a 'point' (with 'label'), a 'box' or 'leave': true")

    def after_edit(self, obj_id: int, frames: set[int]) -> None:
        """Recompute click masks on ``frames`` after undo/clear changed an object's prompts."""
        for frame in frames:
            with contextlib.suppress(VfxError):  # no model: nothing was shown from one either
                self.refresh_click(obj_id, frame)

    # ------------------------------------------------------------------ tracking

    @property
    def masklets_dir(self) -> Path:
        return self.session.state_dir / "masklets"

    def start_track(self) -> Job:
        if self.looks_only:
            raise VfxError("masks come from --masks/--chroma here; nothing to track")
        objects = self.session.object_prompts()
        if not objects:
            raise VfxError("nothing to track: add an object and click on it first")
        return self.jobs.start("track", self._track)

    def _track(self, job: Job) -> dict[str, Any]:
        """Track the objects whose prompts changed since their last track: an object corrected
        only on or after some frame F later than its first prompt is re-tracked from F on (its
        frames before F are kept); the others are tracked through the whole video."""
        from vfx.sources.tracking import choose_model, sam2_tracker, track_cached

        stale = set(self.session.stale_objects())
        prompts = [o for o in self.session.object_prompts() if o.id in stale]
        if not prompts:
            return {"tracked": []}
        info = self.frames.info
        validate_prompts(prompts, info.width, info.height, info.frame_count)
        choice = choose_model(self.options.model, self.options.checkpoint)
        with self.session.lock:
            tracks = dict(self.session.current.tracks)
        starts = {o.id: f for o in prompts
                  if (f := self._retrack_from(o, tracks.get(o.id))) is not None}  # fmt: skip
        whole = [o for o in prompts if o.id not in starts]
        scores: dict[int, dict[int, ObjectScores]] = {}
        areas: dict[int, dict[int, float]] = {}
        total = (info.frame_count if whole else 0) + sum(info.frame_count - f
                                                         for f in starts.values())  # fmt: skip
        job.total, done = total, 0

        def on_scores(index: int, values: dict[int, ObjectScores]) -> None:
            for obj_id, value in values.items():
                scores.setdefault(obj_id, {})[index] = value

        base = sam2_tracker(choice, self.options.device, progress=False,
                            precision=self.options.precision, on_scores=on_scores)  # fmt: skip

        def counted(steps: Any) -> Any:
            nonlocal done
            for index, masks in steps:
                done += 1
                job.progress(done, total)
                for obj_id, mask in masks.items():
                    areas.setdefault(obj_id, {})[index] = float((mask > 0.5).mean())
                yield index, masks

        def load() -> Any:
            run = base.load()
            return lambda *args, **kwargs: counted(run(*args, **kwargs))

        new_tracks = {}
        if whole:
            store = track_cached(info, whole, replace(base, load=load), self.masklets_dir)
            self._save_scores(store, scores, areas)
            new_tracks.update({o.id: {"store": str(store.path), "identity": object_identity(o)}
                               for o in whole})  # fmt: skip
        if starts:
            run = load()
            for obj in prompts:
                if obj.id in starts:
                    store = self._retrack(obj, starts[obj.id], tracks[obj.id]["store"], run)
                    self._save_scores(store, scores, areas, tracks[obj.id]["store"],
                                      starts[obj.id])  # fmt: skip
                    new_tracks[obj.id] = {"store": str(store.path),
                                          "identity": object_identity(obj)}
        self.session.set_tracks(new_tracks)
        return {"tracked": sorted(o.id for o in prompts),
                "from_frame": {str(k): v for k, v in starts.items()}}  # fmt: skip

    def _retrack_from(self, obj: ObjectPrompts, track: dict[str, Any] | None) -> int | None:
        """The frame F from which ``obj``'s prompts changed since ``track``, when every prompt
        before F is unchanged and at least one of them shows the object (so frames before F
        keep their masks); None: track it through the whole video."""
        if track is None:
            return None
        store = self._store(track["store"])
        if store is None or obj.id not in store.object_ids:
            return None
        old = {e["frame"]: e for e in track.get("identity", [])}
        new = {e["frame"]: e for e in object_identity(obj)}
        changed = [f for f in old.keys() | new.keys() if old.get(f) != new.get(f)]
        if not changed:
            return None
        first = min(changed)
        kept = [f for f, e in new.items() if f < first and not e.get("leave")]
        return first if kept else None

    def _retrack(self, obj: ObjectPrompts, start: int, old_path: str, run: Any) -> MaskletStore:
        """A store of ``obj`` alone: the masks of ``old_path`` before frame ``start``, tracked
        again (with all of ``obj``'s prompts) from ``start`` on."""
        old = self._store(old_path)
        assert old is not None  # checked by _retrack_from
        info = self.frames.info
        identity = prompts_identity([obj])
        key = hashlib.sha256(json.dumps([old_path, start, identity]).encode()).hexdigest()[:20]
        store_dir = self.masklets_dir / "retracked" / key
        if (store_dir / "meta.json").is_file():
            return MaskletStore.open(store_dir)
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        kept = ("width", "height", "fps", "frame_count", "video", "model", "settings")
        meta = {name: old.meta[name] for name in kept if name in old.meta}
        meta.update(objects=[{"id": obj.id, "name": obj.name}], prompts=identity,
                    retracked={"from_store": old_path, "start": start})  # fmt: skip
        with MaskletStore.create(store_dir, meta) as writer:
            for index in range(start):
                writer.write_frame(index, {obj.id: old.mask_uint8(obj.id, index)})
            for index, masks in run(info, [obj], start=start):
                writer.write_frame(index, {obj.id: masks[obj.id]})
        return MaskletStore.open(store_dir)

    def _save_scores(self, store: MaskletStore, scores: dict, areas: dict,
                     earlier: str | None = None, start: int = 0) -> None:
        """``<store>.scores.json``: per object, per frame, the object score, predicted IoU and
        mask area; frames before ``start`` come from the ``earlier`` store's file."""
        path = _scores_path(store.path)
        fresh = any(obj_id in areas for obj_id in store.object_ids)
        if not fresh and path.is_file():
            return  # a cache hit: the scores of the run that tracked it are there
        count = store.frame_count
        if not fresh:  # tracked elsewhere (the CLI): areas from the masks, no object scores
            for index, masks in store.iter_masks():
                for obj_id, mask in masks.items():
                    areas.setdefault(obj_id, {})[index] = float((mask > 0.5).mean())
        before: dict[str, Any] = {}
        if earlier is not None and _scores_path(Path(earlier)).is_file():
            before = json.loads(_scores_path(Path(earlier)).read_text(encoding="utf-8"))
        data = {}
        for obj_id in store.object_ids:
            lanes: dict[str, list[Any]] = {"score": [], "iou": [], "area": []}
            old = before.get(str(obj_id), {})
            for i in range(count):
                if i < start:
                    for lane, values in lanes.items():
                        kept = old.get(lane)
                        values.append(kept[i] if kept and i < len(kept) else None)
                    continue
                value = scores.get(obj_id, {}).get(i)
                lanes["score"].append(None if value is None else value.score)
                lanes["iou"].append(None if value is None else value.iou)
                lanes["area"].append(areas.get(obj_id, {}).get(i))
            data[str(obj_id)] = lanes
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(data), encoding="utf-8")

    def timeline(self) -> dict[str, Any]:
        """Per tracked object, per frame: the tracker's object score (0..1), the decoder's
        predicted IoU of the mask (None where unknown), the mask's area (fraction of the frame)
        and whether the area jumped (more than doubled or halved from the previous frame)."""
        out = {}
        with self.session.lock:
            tracks = dict(self.session.current.tracks)
        for obj_id, track in tracks.items():
            scores_path = _scores_path(Path(track["store"]))
            if not scores_path.is_file():
                continue
            data = json.loads(scores_path.read_text(encoding="utf-8")).get(str(obj_id))
            if data is None:
                continue
            area = data["area"]
            jumps = [
                i for i in range(1, len(area))
                if area[i] is not None and area[i - 1] is not None
                and max(area[i], area[i - 1]) > 1e-3
                and (min(area[i], area[i - 1]) < 0.5 * max(area[i], area[i - 1]))
            ]  # fmt: skip
            iou = data.get("iou") or [None] * len(area)
            out[str(obj_id)] = {"score": data["score"], "iou": iou, "area": area, "jumps": jumps}
        return out

    # ------------------------------------------------------------------ looks

    def preview_jpeg(self, index: int, preset_name: str, overrides: list[str]) -> bytes:
        """Frame ``index`` through the preset (with ``--set``-style overrides), as JPEG."""
        from vfx.api import resolve_preset
        from vfx.io.reader import open_video
        from vfx.rendering.pipeline import FrameRenderer
        from vfx.rendering.preview import masked_frame, over_checkerboard

        self._check_frame(index)
        preset = resolve_preset(preset_name, overrides)
        source = self.view_source()
        info = self.frames.info
        with open_video(self.video_path) as reader:
            item = masked_frame(reader, source, preset, index)
        renderer = FrameRenderer(preset.build_graph(), source.names, (info.width, info.height),
                                 preset.base_dir)  # fmt: skip
        out = renderer(item)
        return jpeg(over_checkerboard(out) if out.shape[2] == 4 else out)

    def set_preset(self, name: str | None, overrides: list[str]) -> None:
        if name:
            from vfx.api import resolve_preset

            resolve_preset(name, overrides)  # validated now: bad --set values are reported
        self.session.set_preset(name or None, overrides)

    def _output_masks(self, job: Job, folder: str, name: str) -> tuple[ProgressMasks, Path]:
        """Masks for a render or export (tracking first what changed since the last Track),
        reporting each frame to ``job``, and the output's path ``<workspace>/<folder>/<name>``."""
        if not self.looks_only:
            if not self.session.object_prompts():
                raise VfxError("no masks yet: add an object and click on it, then Track")
            if self.session.stale_objects():
                job.message = "tracking first"
                self._track(job)
                job.message = ""
        count = self.frames.info.frame_count
        out_dir = self.workspace / folder
        out_dir.mkdir(exist_ok=True)
        job.done, job.total = 0, count
        return ProgressMasks(self.view_source(), job, count), out_dir / name

    def start_render(self) -> Job:
        preset = self.session.current.preset
        if not preset:
            raise VfxError("pick a preset first")
        return self.jobs.start("render", self._render)

    def _render(self, job: Job) -> dict[str, Any]:
        from vfx.api import render

        state = self.session.current
        if not state.preset:
            raise VfxError("pick a preset first")
        masks, output = self._output_masks(
            job, "renders", f"{self.video_path.stem}-{Path(state.preset).stem}.mp4"
        )
        render(self.video_path, output, preset=state.preset, overrides=state.overrides,
               masks=masks, force=True, progress=False)  # fmt: skip
        self.session.set_output("render", output)
        return {"path": str(output)}

    def start_export(self, format: str) -> Job:
        if format not in EXPORT_FORMATS:
            raise VfxError(f"unknown export format {format!r}; use {', '.join(EXPORT_FORMATS)}")
        return self.jobs.start("export", lambda job: self._export(job, format))

    def _export(self, job: Job, format: str) -> dict[str, Any]:
        from vfx.mask_formats import export_masks

        masks, output = self._output_masks(job, "exports", f"{self.video_path.stem}-{format}")
        export_masks(masks, output, format, video=self.video_path, force=True)
        self.session.set_output("export", output)
        return {"path": str(output)}

    def save_prompts(self) -> Path:
        """Write ``<workspace>/<stem>.prompts.yaml`` (DESIGN.md §4) for ``vfx render --prompts``."""
        objects = self.session.object_prompts()
        if not objects:
            raise VfxError("no prompts to save: add an object and click on it first")
        path = self.workspace / f"{self.video_path.stem}.prompts.yaml"
        document = {"objects": prompts_identity(objects)}
        # mask prompts: PNGs in a folder beside the file, named relative to it (DESIGN.md §4)
        masks_dir = path.with_name(f"{self.video_path.stem}.prompts-masks")
        for obj, entry in zip(objects, document["objects"], strict=True):
            for fp, item in zip(obj.prompts, entry["prompts"], strict=True):
                if fp.mask is not None:
                    masks_dir.mkdir(exist_ok=True)
                    name = f"{obj.id}-{fp.frame}.png"
                    with atomic_output(masks_dir / name) as tmp:
                        cv2.imwrite(str(tmp), np.asarray(fp.mask, np.uint8) * 255)
                    item["mask"] = f"{masks_dir.name}/{name}"
        with atomic_output(path) as tmp:
            tmp.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        self.session.set_output("prompts", path)
        return path

    def close(self) -> None:
        self.jobs.cancel()
        if self._frames is not None:
            self._frames.close()


def _scores_path(store: Path) -> Path:
    """The tracker's per-frame scores of a store: ``<store>.scores.json`` beside it."""
    return store.parent / f"{store.name}.scores.json"


def _numbers(value: Any, count: int, what: str) -> list[float]:
    if (not isinstance(value, list) or len(value) != count
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or not all(np.isfinite(value))):
        raise VfxError(f"'{what}' needs {count} numbers")
    return [float(v) for v in value]
