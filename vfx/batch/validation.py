"""Every job checked before any runs: inputs, mask sources, presets, prompts, outputs.

:func:`plan_jobs` turns a manifest into one :class:`JobPlan` per job. A job that
fails a check carries its one-line error and is reported as failed; the other
jobs still run. Nothing here loads a model or writes a file.
"""

from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from vfx.batch.manifest import Job, Manifest, job_from_entry
from vfx.errors import VfxError

if TYPE_CHECKING:
    from vfx.io.video_source import VideoInfo

_AUTO = re.compile(r"^(\d+:)?(largest|center|all(:[0-9.]+)?|ids:\d+(,\d+)*)$")
AUTO_SYNTAX = "[FRAME:]largest|center|all[:MIN_AREA]|ids:3,5"


@dataclass(frozen=True)
class JobPlan:
    """A checked job: ready to run, to be skipped (``--resume``), or failed with ``error``.

    Attributes:
        index: the job's number, from 1.
        label: the input as written in the manifest.
        job: the parsed job (``None`` when the entry itself is malformed).
        frame_count: frames of the input video.
        fps: its frame rate (a chunked render's join needs it).
        chunks: ``(start, stop)`` frame ranges for a chunked render, else empty.
        skip: every output already exists and ``--resume`` was given.
        error: why the job cannot run.
    """

    index: int
    label: str
    job: Job | None = None
    frame_count: int | None = None
    fps: float | None = None
    chunks: tuple[tuple[int, int], ...] = ()
    skip: bool = False
    error: str | None = None

    def describe(self) -> str:
        """One line of the ``--dry-run`` plan."""
        head = f"job {self.index} ({self.label})"
        if self.error is not None:
            return f"{head}: FAILS CHECKS: {self.error}"
        assert self.job is not None
        job = self.job
        source = (
            "SAM 2 prompts" if job.tracks and not job.auto else f"auto {job.auto}" if job.auto
            else f"masks {job.masks}" if job.masks else f"chroma {job.chroma}"
        )  # fmt: skip
        parts = []
        if job.output is not None:
            parts.append(f"render {job.preset} -> {job.output}")
        if job.export is not None:
            parts.append(f"export {job.export.format} -> {job.export.output}")
        line = f"{head}: {', '.join(parts)}; masks from {source}; {self.frame_count} frames"
        if self.chunks:
            line += f" in {len(self.chunks)} chunks of up to {job.chunk_frames}"
        return line + (" (skip: outputs exist)" if self.skip else "")


def plan_jobs(manifest: Manifest, *, resume: bool = False, force: bool = False) -> list[JobPlan]:
    """Check every job of ``manifest``.

    An output that is some job's input, or an earlier job's output, fails the job
    first; then each job is checked on its own (:func:`check_job`).
    """
    parsed = []
    for index, entry in enumerate(manifest.entries, start=1):
        label = str(entry.get("input", "?"))
        try:
            job = job_from_entry(index, entry, manifest.base_dir, overwrite=force)
            parsed.append(JobPlan(index, label, job))
        except VfxError as exc:
            parsed.append(JobPlan(index, label, error=exc.message))
    plans = []
    for plan in _check_collisions(parsed):
        if plan.error is None and plan.job is not None:
            try:
                plan = check_job(plan.job, resume=resume)
            except VfxError as exc:
                plan = replace(plan, error=exc.message)
        plans.append(plan)
    return plans


def check_job(job: Job, *, resume: bool = False) -> JobPlan:
    """Check one job against the files it names (cheap: no model loads).

    Raises:
        VfxError: the first problem found, in one line.
    """
    from vfx.io.reader import open_video

    if job.output is None and job.export is None:
        raise VfxError("the job has neither output (a render) nor export; give one of them")
    with open_video(job.input) as reader:
        info = reader.info
    if info.frame_count <= 0:
        raise VfxError(f"input {job.label} has no frames; re-encode it with ffmpeg")
    _check_source(job, info)
    if job.output is not None:
        _check_render(job)
    if job.export is not None:
        _check_export(job)
    existing = [path for path in job.outputs if path.exists()]
    skip = resume and len(existing) == len(job.outputs)
    if existing and not skip:
        if not (resume or job.overwrite):
            raise VfxError(
                f"output {existing[0]} already exists; pass --resume to skip finished jobs "
                "or --force to overwrite"
            )
        job = replace(job, overwrite=True)  # --resume re-runs a job that wrote only some outputs
    for path in job.outputs:
        _check_writable(path)
    chunks: tuple[tuple[int, int], ...] = ()
    if job.chunk_frames is not None:
        size = job.chunk_frames
        chunks = tuple(
            (start, min(start + size, info.frame_count))
            for start in range(0, info.frame_count, size)
        )
    return JobPlan(job.index, job.label, job, info.frame_count, info.fps, chunks, skip)


def _check_source(job: Job, info: VideoInfo) -> None:
    """Exactly one mask source, valid against the video (prompts inside the frame, ...)."""
    from vfx.prompts.parsing import parse_prompts, validate_prompts
    from vfx.sources.choice import open_source
    from vfx.sources.chroma import parse_chroma_color
    from vfx.sources.tracking import check_precision, choose_model

    prompted = bool(job.points or job.boxes or job.prompts)
    given = [
        name
        for name, value in (
            ("prompts (point/box/prompts)", prompted),
            ("auto", job.auto),
            ("masks", job.masks),
            ("chroma", job.chroma),
        )
        if value
    ]
    if len(given) != 1:
        raise VfxError(
            ("no mask source" if not given else f"{' and '.join(given)} are different mask sources")
            + "; give exactly one of point/box/prompts, auto, masks or chroma"
        )
    if prompted:
        prompts = parse_prompts(job.points, job.boxes, job.prompts)
        validate_prompts(prompts, info.width, info.height, info.frame_count)
    if job.auto:
        if not _AUTO.match(job.auto):
            raise VfxError(f"auto {job.auto!r} is not understood; use {AUTO_SYNTAX}")
        if not supports_auto():
            raise VfxError(
                "this vfx cannot choose objects automatically (auto); give point, box or prompts"
            )
    if job.masks:
        open_source(job.masks, info=info)
    if job.chroma:
        parse_chroma_color(job.chroma)
    if job.tracks:
        check_precision(job.precision)
        choose_model(job.model, job.checkpoint)


def supports_auto() -> bool:
    """Whether :func:`vfx.render` and :func:`vfx.track` take ``auto=`` in this version."""
    from vfx import api

    return all("auto" in inspect.signature(fn).parameters for fn in (api.render, api.track))


def _check_render(job: Job) -> None:
    from vfx.io.writer import output_format
    from vfx.presets import load_preset

    assert job.output is not None
    if job.preset is None:
        raise VfxError("a render needs a preset; add preset: NAME to the job or the defaults")
    load_preset(job.preset, job.overrides)
    kind = output_format(job.output)
    if job.chunk_frames is not None and kind == "png":
        raise VfxError("chunk_frames joins video files; give a .mp4, .mov or .webm output")


def _check_export(job: Job) -> None:
    from vfx.mask_formats.conform import FRAME_MODES, SIDE_MODES
    from vfx.mask_formats.export import check_format
    from vfx.mask_formats.job import COMBINES

    assert job.export is not None
    check_format(job.export.format)
    for key, allowed in (("combine", COMBINES), ("frames", FRAME_MODES), ("sides", SIDE_MODES)):
        value = job.export.options.get(key)
        if value is not None and value not in allowed:
            raise VfxError(f"export {key} {value!r} is not one of {', '.join(allowed)}")


def _check_writable(path: Path) -> None:
    """The output's folder exists or can be created, and is writable."""
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise VfxError(f"cannot write {path}: {folder} is a file; choose another output folder")
    if not os.access(folder, os.W_OK):
        raise VfxError(f"cannot write to folder {folder}; choose a writable output folder")


def _check_collisions(plans: list[JobPlan]) -> list[JobPlan]:
    """Fail a job whose output is another job's input, or an earlier job's output."""
    inputs: dict[Path, int] = {}
    for plan in plans:
        if plan.job is not None:
            job = plan.job
            masks = None if job.masks is None else job.masks.removeprefix("labels:")
            for path in (job.input, masks, job.prompts):
                if path is not None:
                    inputs.setdefault(Path(path).resolve(), plan.index)
    claimed: dict[Path, int] = {}
    checked = []
    for plan in plans:
        if plan.error is None and plan.job is not None:
            plan = _claim(plan, inputs, claimed)
        checked.append(plan)
    return checked


def _claim(plan: JobPlan, inputs: dict[Path, int], claimed: dict[Path, int]) -> JobPlan:
    assert plan.job is not None
    keys = [path.resolve() for path in plan.job.outputs]
    for path, key in zip(plan.job.outputs, keys, strict=True):
        if key in inputs:
            return replace(
                plan, error=f"output {path} is job {inputs[key]}'s input; choose another output"
            )
        if key in claimed or keys.count(key) > 1:
            other = claimed.get(key, plan.index)
            return replace(
                plan,
                error=f"output {path} is also job {other}'s output; give each job its own output",
            )
    claimed.update(dict.fromkeys(keys, plan.index))
    return plan
