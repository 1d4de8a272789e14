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
from typing import Any

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
from vfx.studio.frames import FrameCache, jpeg, overlay
from vfx.studio.jobs import Job, JobRunner
from vfx.studio.session import StudioSession
from vfx.studio.studio_masks import StudioMasks

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
        frames = FrameCache(video)
        with self._lock:
            if self._frames is not None:
                self._frames.close()
            self._frames = frames
            self._segmenter = ClickSegmenter(frames.rgb, self.options.model,
                                             self.options.checkpoint, self.options.device)
            self._clicks.clear()
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
        rgb = self.frames.rgb(index)
        if overlays:
            masks = self.view_source().masks_at(index, rgb)
            rgb = overlay(rgb, masks)
        return jpeg(rgb)

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
        iou = self.refresh_click(obj_id, action["frame"])
        return {"iou": iou, "ms": round(1000 * (time.perf_counter() - started), 1)}

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
            cv2.imwrite(str(tmp), mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 1])
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
        from vfx.sources.tracking import choose_model, sam2_tracker, track_cached

        stale = set(self.session.stale_objects())
        prompts = [o for o in self.session.object_prompts() if o.id in stale]
        if not prompts:
            return {"tracked": []}
        info = self.frames.info
        validate_prompts(prompts, info.width, info.height, info.frame_count)
        choice = choose_model(self.options.model, self.options.checkpoint)
        scores: dict[int, dict[int, float]] = {}
        areas: dict[int, dict[int, float]] = {}

        def on_scores(index: int, values: dict[int, float]) -> None:
            for obj_id, value in values.items():
                scores.setdefault(obj_id, {})[index] = value

        base = sam2_tracker(choice, self.options.device, progress=False,
                            precision=self.options.precision, on_scores=on_scores)  # fmt: skip

        def load() -> Any:
            run = base.load()

            def reporting(video_info: Any, objects: list[ObjectPrompts]) -> Any:
                for n, (index, masks) in enumerate(run(video_info, objects)):
                    job.progress(n + 1, info.frame_count)
                    for obj_id, mask in masks.items():
                        areas.setdefault(obj_id, {})[index] = float((mask > 0.5).mean())
                    yield index, masks

            return reporting

        job.total = info.frame_count
        store = track_cached(info, prompts, replace(base, load=load), self.masklets_dir)
        self._save_scores(store, scores, areas)
        self.session.set_tracks({o.id: {"store": str(store.path),
                                        "identity": prompts_identity([o])[0]["prompts"]}
                                 for o in prompts})  # fmt: skip
        return {"tracked": sorted(o.id for o in prompts)}

    def _save_scores(self, store: MaskletStore, scores: dict, areas: dict) -> None:
        path = store.path.parent / f"{store.path.name}.scores.json"
        if not areas and path.is_file():
            return  # a cache hit: the scores of the run that tracked it are there
        count = store.frame_count
        if not areas:  # tracked elsewhere (the CLI): areas from the masks, no object scores
            for index, masks in store.iter_masks():
                for obj_id, mask in masks.items():
                    areas.setdefault(obj_id, {})[index] = float((mask > 0.5).mean())
        data = {
            str(obj_id): {
                "score": [scores.get(obj_id, {}).get(i) for i in range(count)],
                "area": [areas.get(obj_id, {}).get(i) for i in range(count)],
            }
            for obj_id in store.object_ids
        }
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(data), encoding="utf-8")

    def timeline(self) -> dict[str, Any]:
        """Per tracked object, per frame: the tracker's object score (0..1, None where the
        object was prompted), the mask's area (fraction of the frame) and whether the area
        jumped (more than doubled or halved from the previous frame)."""
        out = {}
        with self.session.lock:
            tracks = dict(self.session.current.tracks)
        for obj_id, track in tracks.items():
            path = Path(track["store"])
            scores_path = path.parent / f"{path.name}.scores.json"
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
            out[str(obj_id)] = {"score": data["score"], "area": area, "jumps": jumps}
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

    def _source_for_output(self, job: Job) -> MaskSource:
        """Masks for a render or export: tracking first what changed since the last Track."""
        if not self.looks_only:
            if not self.session.object_prompts():
                raise VfxError("no masks yet: add an object and click on it, then Track")
            if self.session.stale_objects():
                job.message = "tracking first"
                self._track(job)
                job.message = ""
        return self.view_source()

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
        info = self.frames.info
        source = self._source_for_output(job)
        out_dir = self.workspace / "renders"
        out_dir.mkdir(exist_ok=True)
        output = out_dir / f"{self.video_path.stem}-{Path(state.preset).stem}.mp4"
        job.done, job.total = 0, info.frame_count
        render(self.video_path, output, preset=state.preset, overrides=state.overrides,
               masks=ProgressMasks(source, job, info.frame_count), force=True,
               progress=False)  # fmt: skip
        self.session.set_output("render", output)
        return {"path": str(output)}

    def start_export(self, format: str) -> Job:
        if format not in EXPORT_FORMATS:
            raise VfxError(f"unknown export format {format!r}; use {', '.join(EXPORT_FORMATS)}")
        return self.jobs.start("export", lambda job: self._export(job, format))

    def _export(self, job: Job, format: str) -> dict[str, Any]:
        from vfx.mask_formats import export_masks

        info = self.frames.info
        source = self._source_for_output(job)
        out_dir = self.workspace / "exports"
        out_dir.mkdir(exist_ok=True)
        output = out_dir / f"{self.video_path.stem}-{format}"
        job.done, job.total = 0, info.frame_count
        export_masks(ProgressMasks(source, job, info.frame_count), output, format,
                     video=self.video_path, force=True)  # fmt: skip
        self.session.set_output("export", output)
        return {"path": str(output)}

    def save_prompts(self) -> Path:
        """Write ``<workspace>/<stem>.prompts.yaml`` (DESIGN.md §4) for ``vfx render --prompts``."""
        objects = self.session.object_prompts()
        if not objects:
            raise VfxError("no prompts to save: add an object and click on it first")
        path = self.workspace / f"{self.video_path.stem}.prompts.yaml"
        document = {"objects": prompts_identity(objects)}
        with atomic_output(path) as tmp:
            tmp.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        self.session.set_output("prompts", path)
        return path

    def close(self) -> None:
        self.jobs.cancel()
        if self._frames is not None:
            self._frames.close()


def _numbers(value: Any, count: int, what: str) -> list[float]:
    if (not isinstance(value, list) or len(value) != count
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or not all(np.isfinite(value))):
        raise VfxError(f"'{what}' needs {count} numbers")
    return [float(v) for v in value]
