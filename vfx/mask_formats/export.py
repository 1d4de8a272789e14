"""``export_masks``: one call from a mask source to a file or folder in a chosen format."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vfx.errors import VfxError
from vfx.io.atomic import check_output_path
from vfx.mask_formats.choices import FORMATS
from vfx.mask_formats.coco_rle import write_coco_rle
from vfx.mask_formats.comfy import write_comfy
from vfx.mask_formats.conform import Conform
from vfx.mask_formats.ffv1 import write_ffv1
from vfx.mask_formats.job import ExportJob, prepare_job
from vfx.mask_formats.npz import write_npz
from vfx.mask_formats.png import write_png
from vfx.mask_formats.vace import write_vace
from vfx.safe_yaml import echo
from vfx.sources.base import MaskSource

_PLAIN: dict[str, Callable[[ExportJob, Path], int]] = {
    "png": write_png,
    "ffv1": write_ffv1,
    "npz": write_npz,
    "coco-rle": write_coco_rle,
}
_CONFORMED: dict[str, Callable[[ExportJob, Path, Conform], int]] = {
    "vace": write_vace,
    "comfy": write_comfy,
}
if set(FORMATS) != {*_PLAIN, *_CONFORMED}:  # pragma: no cover - a format added in one place only
    raise ImportError("vfx.mask_formats.choices.FORMATS and the writers disagree")
_FOLDER_FORMATS = ("png", "vace", "comfy")  # ffv1 too when OUT has no extension
# Conform defaults per format: VACE must be conformed, ComfyUI only on request.
_CONFORM_DEFAULTS = {"vace": ("pad", "pad"), "comfy": ("none", "none")}
CONFORM_OPTIONS = ("frames", "sides", "fps")


def check_format(name: str) -> None:
    """Raise :class:`VfxError` unless ``name`` is one of :data:`FORMATS`."""
    if name not in FORMATS:
        raise VfxError(f"unknown mask format {name!r}; use one of {', '.join(FORMATS)}")


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_masks` wrote.

    Attributes:
        path: the output file or folder.
        format: the format name.
        frame_count: frames written (after conforming, for vace and comfy).
        objects: ``{id: name}`` of the exported masks (the label ids for label maps).
    """

    path: Path
    format: str
    frame_count: int
    objects: dict[int, str]


def export_masks(
    source: MaskSource | str | Path | None,
    out: str | Path,
    format: str,
    *,
    chroma: str | None = None,
    video: str | Path | None = None,
    objects: list[int] | None = None,
    combine: str | None = None,
    dilate: float = 0,
    feather: float = 0,
    threshold: float | None = None,
    invert: bool = False,
    force: bool = False,
    start: str | int | None = None,
    end: str | int | None = None,
    **format_options: object,
) -> ExportResult:
    """Export ``source``'s masks to ``out`` in ``format`` (see docs/mask-formats.md); this is
    ``vfx.export_masks`` and what ``vfx masks export`` runs.

    >>> vfx.export_masks("clip.masklets", "masks.mkv", "ffv1")          # doctest: +SKIP
    >>> vfx.export_masks(None, "vace/", "vace", chroma="green", video="clip.mp4")  # doctest: +SKIP

    Args:
        source: any mask source, a masklet store folder (``vfx track``) or imported masks
            (see :func:`vfx.sources.imported.load_masks`); ``None`` with ``chroma``.
        out: output file or folder (written atomically).
        format: one of :data:`FORMATS`.
        chroma: key ``video`` with this colour (``green``, ``blue``, ``#RRGGBB``) instead.
        video: the source video; needed by vace (and a chroma key), optional
            for comfy (adds the frames); a store's recorded video is the default.
        objects: object ids to export (default all).
        combine: ``"separate"`` (one mask per object), ``"union"`` (one mask) or
            ``"labels"`` (label maps); default union for vace/comfy, else separate.
        dilate, feather: pixels to grow each mask by, and to soften its edge by.
        threshold: binarise probabilities at this level first (default: keep soft).
        invert: swap the region and the rest (after combining).
        force: overwrite an existing output.
        start, end: export only this segment: frames (``48``) or times (``2s``); ``end``
            is exclusive.
        format_options: vace and comfy only: ``frames`` ("pad", "trim", "none"),
            ``sides`` ("pad", "resize", "none"), ``fps`` (target frame rate).
    """
    from vfx.sources.choice import open_source

    check_format(format)  # before any masks are opened
    source = open_source(source, chroma)
    options = {k: v for k, v in format_options.items() if v is not None}
    unknown = sorted(set(options) - set(CONFORM_OPTIONS))
    if unknown:
        raise VfxError(
            f"unknown export option {unknown[0]!r}; allowed: {', '.join(CONFORM_OPTIONS)}"
        )
    if options and format not in _CONFORMED:
        given = ", ".join(f"--{k}" for k in options)
        raise VfxError(f"{given} apply to the vace and comfy formats only; drop them for {format}")
    folder = format in _FOLDER_FORMATS or (format == "ffv1" and not Path(out).suffix)
    inputs = (video, getattr(source, "path", None))
    path = check_output_path(out, force=force, inputs=inputs, folder=folder)
    conform = None
    if format in _CONFORMED:
        frames_mode, sides_mode = _CONFORM_DEFAULTS[format]
        fps = options.get("fps")
        if fps is not None and (not isinstance(fps, numbers.Real) or isinstance(fps, bool)):
            raise VfxError(f"fps must be a number of frames per second, got {echo(fps)}")
        conform = Conform(
            frames=str(options.get("frames", frames_mode)),
            sides=str(options.get("sides", sides_mode)),
            fps=None if fps is None else float(fps),
        )
        combine = _one_mask(format, combine, objects or source.object_ids)
    job = prepare_job(
        source,
        video=video,
        objects=objects,
        combine=combine or "separate",
        dilate=dilate,
        feather=feather,
        threshold=threshold,
        invert=invert,
        start=start,
        end=end,
    )
    if conform is not None:
        count = _CONFORMED[format](job, path, conform)
    else:
        count = _PLAIN[format](job, path)
    return ExportResult(path, format, count, dict(job.objects))


def _one_mask(format: str, combine: str | None, selected: list[int]) -> str:
    """The combine mode of a one-mask format: union (one object "separate" is the same)."""
    if combine == "labels":
        raise VfxError(f"{format} takes one mask; use --combine union")
    if combine == "separate" and len(set(selected)) > 1:
        raise VfxError(f"{format} takes one mask; use --combine union or pick one with --objects")
    return "union"
