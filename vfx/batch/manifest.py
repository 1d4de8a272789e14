"""Batch manifests: ``defaults`` plus ``jobs``, each job a render, an export, or both.

A job's keys mirror the options of ``vfx render``, ``vfx track`` and ``vfx masks
export`` (DESIGN.md §9)::

    defaults: {preset: background-blur, model: sam2.1_hiera_tiny}
    jobs:
      - {input: clips/a.mp4, output: out/a.mp4, point: ["0:320,240"]}
      - {input: clips/d.mp4, masks: masks/d/, export: {format: vace, output: out/d_vace, fps: 16}}
      - {input: clips/long.mp4, output: out/long.mp4, masks: masks/long.mkv, chunk_frames: 600}

Relative paths resolve against the manifest's folder. :func:`load_manifest`
reads a file; :func:`quick_entries` builds the same entries from a glob and an
output template (``vfx batch 'clips/*.mp4' -o 'out/{stem}.mp4' ...``). Turning an
entry into a :class:`Job` can fail for one job only (:func:`job_from_entry`), so
that the other jobs still run.
"""

from __future__ import annotations

import glob
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfx.errors import VfxError
from vfx.safe_yaml import load_yaml

JOB_KEYS = (
    "input", "output", "preset", "set", "point", "box", "prompts", "auto", "masks", "chroma",
    "model", "checkpoint", "device", "precision", "export", "chunk_frames",
)  # fmt: skip
"""The keys a job (or ``defaults``) may hold."""
EXPORT_OPTIONS = (
    "objects", "combine", "dilate", "feather", "threshold", "invert", "fps", "frames", "sides",
)  # fmt: skip
"""``export`` keys besides ``format`` and ``output``: ``vfx masks export`` options."""
TEMPLATE_FIELDS = ("stem", "name", "index")
"""What an output template of the quick form may name: ``{stem}``, ``{name}``, ``{index}``."""
_LABELS_PREFIX = "labels:"


@dataclass(frozen=True)
class ExportSpec:
    """A ``masks export`` of the job's masks: ``format``, ``output`` and export options."""

    format: str
    output: Path
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """One job of a batch, with paths resolved.

    Attributes:
        index: the job's number, from 1, in manifest order.
        label: the input as the manifest wrote it (messages name the job by it).
        input: the video.
        output: the render's output, or ``None`` for an export-only job.
        preset, overrides: the preset and its ``--set`` overrides (renders).
        points, boxes, prompts: SAM 2 prompts (``--point``, ``--box``, ``--prompts``).
        auto: automatic object choice (``--auto [FRAME:]MODE``).
        masks: imported masks or a masklet folder (``labels:`` prefix kept).
        chroma: a key colour.
        model, checkpoint, device, precision: the SAM 2 options.
        export: a masks export, or ``None``.
        chunk_frames: render in chunks of this many frames (renders from existing masks).
        overwrite: replace outputs that exist (``--force``).
    """

    index: int
    label: str
    input: Path
    output: Path | None = None
    preset: str | None = None
    overrides: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    boxes: tuple[str, ...] = ()
    prompts: Path | None = None
    auto: str | None = None
    masks: str | None = None
    chroma: str | None = None
    model: str | None = None
    checkpoint: Path | None = None
    device: str = "auto"
    precision: str = "auto"
    export: ExportSpec | None = None
    chunk_frames: int | None = None
    overwrite: bool = False

    @property
    def outputs(self) -> list[Path]:
        """Every file or folder the job writes."""
        paths = [] if self.output is None else [self.output]
        return paths if self.export is None else [*paths, self.export.output]

    @property
    def tracks(self) -> bool:
        """Whether the job's masks come from SAM 2 (prompts or ``auto``)."""
        return bool(self.points or self.boxes or self.prompts or self.auto)


@dataclass(frozen=True)
class Manifest:
    """A manifest's job entries (``defaults`` merged in) and the folder paths resolve against."""

    entries: list[dict[str, Any]]
    base_dir: Path
    source: Path | None = None


def load_manifest(path: str | Path) -> Manifest:
    """Read a YAML or JSON manifest.

    Raises:
        VfxError: the file is unreadable or not a manifest (problems with one job
            are left to :func:`job_from_entry`).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VfxError(
            f"cannot read manifest {file} ({exc}); give a UTF-8 YAML or JSON file"
        ) from None
    data = load_yaml(text, f"manifest {file}")  # data only: no aliases, tags or bombs
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list) or not data["jobs"]:
        raise VfxError(f"manifest {file} needs a non-empty 'jobs' list (and optional 'defaults')")
    unknown = sorted(set(data) - {"defaults", "jobs"})
    if unknown:
        raise VfxError(f"manifest {file}: unknown key {unknown[0]!r}; use 'defaults' and 'jobs'")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise VfxError(f"manifest {file}: 'defaults' must be a mapping of job keys")
    entries = [_merge(defaults, job) for job in data["jobs"]]
    return Manifest(entries, file.resolve().parent, file)


def _merge(defaults: dict[str, Any], job: Any) -> dict[str, Any]:
    if not isinstance(job, dict):
        return {"_problem": f"a job must be a mapping of keys like input and output, got {job!r}"}
    merged = {**defaults, **job}
    if isinstance(defaults.get("export"), dict) and isinstance(job.get("export"), dict):
        merged["export"] = {**defaults["export"], **job["export"]}
    return merged


def quick_entries(pattern: str, output: str | None, options: Mapping[str, Any]) -> Manifest:
    """Entries for every video matching the glob ``pattern``, one job each.

    ``output`` (and ``masks``/``prompts`` in ``options``) may name ``{stem}``,
    ``{name}`` and ``{index}`` of each input.
    """
    inputs = sorted(glob.glob(pattern))
    if not inputs:
        raise VfxError(f"no file matches {pattern!r}; check the pattern (quote it in the shell)")
    if output is None and "export" not in options:
        raise VfxError("give -o OUTPUT with {stem} in it, e.g. -o 'out/{stem}.mp4'")
    templated = ("output", "masks", "prompts")
    for key, text in (("output", output), *((k, options.get(k)) for k in templated[1:])):
        if isinstance(text, str):
            _check_template(key, text)
    if output is not None and len(inputs) > 1 and "{" not in output:
        raise VfxError(f"-o {output} would be every job's output; put {{stem}} in it")
    entries = []
    for number, item in enumerate(inputs, start=1):
        values = {"stem": Path(item).stem, "name": Path(item).name, "index": number}
        entry = {k: v for k, v in options.items() if v not in (None, ())}
        entry["input"] = item
        if output is not None:
            entry["output"] = output.format_map(values)
        for key in templated[1:]:
            if isinstance(entry.get(key), str):
                entry[key] = entry[key].format_map(values)
        entries.append(entry)
    return Manifest(entries, Path.cwd())


def _check_template(key: str, text: str) -> None:
    """Only plain ``{stem}``, ``{name}`` and ``{index}`` fields (no attribute access)."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise VfxError(
            f"{key} template {text!r}: {exc}; use {{stem}}, {{name}} or {{index}}"
        ) from None
    for name in fields:
        if name not in TEMPLATE_FIELDS:
            raise VfxError(
                f"{key} template {text!r} names {{{name}}}; use {{stem}}, {{name}} or {{index}}"
            )


def job_from_entry(index: int, entry: Mapping[str, Any], base_dir: Path, overwrite: bool) -> Job:
    """The :class:`Job` of one manifest entry, paths resolved against ``base_dir``.

    Raises:
        VfxError: an unknown key or a value of the wrong type.
    """
    if "_problem" in entry:
        raise VfxError(entry["_problem"])
    unknown = sorted(set(entry) - set(JOB_KEYS))
    if unknown:
        raise VfxError(f"unknown key {unknown[0]!r}; job keys are: {', '.join(JOB_KEYS)}")
    label = _text(entry, "input")
    if label is None:
        raise VfxError("the job has no 'input'; give the video as input: PATH")

    def path(key: str) -> Path | None:
        text = _text(entry, key)
        return None if text is None else _resolve(base_dir, text)

    masks = _text(entry, "masks")
    if masks is not None:
        labels = masks.startswith(_LABELS_PREFIX)
        bare = masks[len(_LABELS_PREFIX) :] if labels else masks
        masks = (_LABELS_PREFIX if labels else "") + str(_resolve(base_dir, bare))
    preset = _text(entry, "preset")
    if preset is not None and preset.lower().endswith((".yaml", ".yml")):
        preset = str(_resolve(base_dir, preset))
    return Job(
        index=index,
        label=label,
        input=_resolve(base_dir, label),
        output=path("output"),
        preset=preset,
        overrides=_texts(entry, "set"),
        points=_texts(entry, "point"),
        boxes=_texts(entry, "box"),
        prompts=path("prompts"),
        auto=_text(entry, "auto"),
        masks=masks,
        chroma=_text(entry, "chroma"),
        model=_text(entry, "model"),
        checkpoint=path("checkpoint"),
        device=_text(entry, "device") or "auto",
        precision=_text(entry, "precision") or "auto",
        export=_export(entry.get("export"), base_dir),
        chunk_frames=_chunk_frames(entry.get("chunk_frames")),
        overwrite=overwrite,
    )


def _resolve(base_dir: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else base_dir / path


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise VfxError(f"{key} must be text, got {value!r}")
    return str(value)


def _texts(entry: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise VfxError(f"{key} takes a string or a list of strings, like the CLI's --{key}")
    return tuple(values)


def _export(raw: Any, base_dir: Path) -> ExportSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("format") or not raw.get("output"):
        raise VfxError("export needs a mapping with format and output, e.g. {format: png, ...}")
    options = {k: v for k, v in raw.items() if k not in ("format", "output")}
    unknown = sorted(set(options) - set(EXPORT_OPTIONS))
    if unknown:
        raise VfxError(
            f"unknown export option {unknown[0]!r}; allowed: format, output, "
            + ", ".join(EXPORT_OPTIONS)
        )
    return ExportSpec(str(raw["format"]), _resolve(base_dir, str(raw["output"])), options)


def _chunk_frames(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise VfxError(f"chunk_frames must be a whole number of frames >= 1, got {value!r}")
    return value
