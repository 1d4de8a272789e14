"""Masks made elsewhere (or exported by vfx), read back as a mask source.

:func:`load_masks` accepts, for ``--masks PATH``:

- a folder of grayscale images, one per frame, ordered by the last number in
  the file name (white = object 1; 8- or 16-bit; JPEG is treated as lossy);
- a folder of such folders, one per object, each named by its object id
  (``3`` or ``3_dog``: id 3, name "dog");
- a grayscale mask video, or a folder of them named by object id (``1.mkv``);
- label maps, where each pixel's value is an object id and 0 is background:
  a palette PNG sequence (DAVIS style) is read as labels automatically, any other
  folder or video when written as ``labels:PATH`` or described as labels by a
  vfx sidecar / container tag;
- a vfx ``.npz`` export or a vfx COCO RLE ``.json`` export;
- any folder vfx exported (PNG, FFV1, ComfyUI, VACE): its ``vfx-masks.json``
  restores ids and names;
- a masklet store written by ``vfx track`` (opened as :class:`MaskletStore`).

Frames are read on demand, so nothing holds the whole clip in memory.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vfx import limits
from vfx.errors import VfxError
from vfx.mask_formats.imported_masks import ImportedMasks
from vfx.mask_formats.mask_video import GrayVideo, gray_to_alpha
from vfx.mask_formats.png import ImageSequence, mask_images_in
from vfx.mask_formats.sidecar import check_description, object_names, read_sidecar
from vfx.masks.masklet_store import META_FILE, MaskletStore

LABELS_PREFIX = "labels:"
VIDEO_SUFFIXES = frozenset({".mkv", ".mp4", ".mov", ".avi", ".webm", ".m4v", ".nut"})
_OBJECT_NAME = re.compile(r"^(\d+)(?:[_-](.+))?$")


def load_masks(
    path: str | Path, *, size: tuple[int, int] | None = None, frame_count: int | None = None
) -> ImportedMasks | MaskletStore:
    """Open imported masks (see the module docstring for the layouts).

    Args:
        path: the masks; prefix ``labels:`` to read a folder or video as label maps.
        size: the video's ``(width, height)``; a mismatch raises :class:`VfxError`.
        frame_count: the video's frame count; a mismatch raises :class:`VfxError`.
    """
    text = str(path)
    labels = text.startswith(LABELS_PREFIX)
    target = Path(text[len(LABELS_PREFIX) :] if labels else text)
    if not target.exists():
        raise VfxError(f"masks {target} do not exist; check the --masks path")
    if not (target.is_file() or target.is_dir()):
        raise VfxError(
            f"masks {target} are not a file or folder (a pipe or device?); "
            "give a mask folder, video or export file"
        )
    if (target / META_FILE).is_file() and not labels:
        masks: ImportedMasks | MaskletStore = MaskletStore.open(target)
    else:
        masks = _open(target, labels)
    check_masks_fit(masks, size=size, frame_count=frame_count)
    return masks


def check_masks_fit(
    masks: ImportedMasks | MaskletStore,
    *,
    size: tuple[int, int] | None,
    frame_count: int | None,
) -> None:
    """Raise :class:`VfxError` unless ``masks`` match the video's size and length."""
    have = masks.size if isinstance(masks, ImportedMasks) else (masks.width, masks.height)
    if size is not None and tuple(size) != have:
        raise VfxError(
            f"masks {masks.path} are {have[0]}x{have[1]} but the video is "
            f"{size[0]}x{size[1]}; export masks at the video's size"
        )
    if frame_count is not None and frame_count != masks.frame_count:
        raise VfxError(
            f"masks {masks.path} have {masks.frame_count} frames but the video has {frame_count}; "
            "import masks with one frame per video frame"
        )


def _open(target: Path, labels: bool) -> ImportedMasks:
    if target.is_file():
        suffix = target.suffix.lower()
        if suffix == ".npz":
            from vfx.mask_formats.npz import open_npz_masks

            return open_npz_masks(target)
        if suffix == ".json":
            from vfx.mask_formats.coco_rle import open_coco_masks

            return open_coco_masks(target)
        video = GrayVideo(target)
        tag = check_description(video.metadata, f"{target} (tag)") if video.metadata else None
        return _from_planes(target, {1: video}, labels, tag)
    description = read_sidecar(target)
    if description is not None:
        inner = target / description.get("mask_path", ".")
        if not inner.exists():
            raise VfxError(f"{inner} named in {target}'s sidecar is missing; re-export the masks")
        labels = labels or description["layout"] == "labels"
        if inner.is_file():
            return _from_planes(target, {1: GrayVideo(inner)}, labels, description)
        return _from_folder(target, inner, labels, description)
    return _from_folder(target, target, labels, None)


def _from_folder(
    target: Path, folder: Path, labels: bool, description: dict | None
) -> ImportedMasks:
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    images = mask_images_in(folder)
    if images:
        return _from_planes(target, {1: ImageSequence(images)}, labels, description)
    planes: dict[int, ImageSequence | GrayVideo] = {}
    names: dict[int, str] = {}
    for entry in sorted(entries):
        is_video = entry.is_file() and entry.suffix.lower() in VIDEO_SUFFIXES
        match = _OBJECT_NAME.match(entry.stem if is_video else entry.name)
        if match is None or not (entry.is_dir() or is_video):
            continue
        obj = int(match.group(1))
        if obj == 0:
            raise VfxError(
                f"{entry} is named as object 0, but 0 is the background; "
                "number object folders and videos from 1"
            )
        if obj in planes:
            raise VfxError(f"{folder} holds two entries for object {obj}; keep one per object id")
        if is_video:
            planes[obj] = GrayVideo(entry)
        else:
            files = mask_images_in(entry)
            if not files:
                raise VfxError(f"object folder {entry} holds no mask images; add PNGs or remove it")
            planes[obj] = ImageSequence(files)
        names[obj] = match.group(2) or f"obj{obj}"
    if not planes:
        raise VfxError(
            f"{folder} holds no mask images, object folders or mask videos; "
            "see docs/mask-formats.md for the layouts --masks reads"
        )
    if labels:
        raise VfxError(f"{folder} holds a folder per object, not label maps; drop 'labels:'")
    if description is not None:
        names.update(object_names(description))
    return _soft_masks(target, planes, {i: names[i] for i in planes}, description)


Plane = ImageSequence | GrayVideo


def _check_planes(target: Path, planes: dict[int, Plane]) -> tuple[int, tuple[int, int]]:
    first = planes[min(planes)]
    for obj, plane in planes.items():
        if plane.size != first.size:
            raise VfxError(
                f"object {obj} masks in {target} are {plane.size[0]}x{plane.size[1]}, others "
                f"{first.size[0]}x{first.size[1]}; give every object masks of one size"
            )
        if plane.frame_count != first.frame_count:
            raise VfxError(
                f"object {obj} in {target} has {plane.frame_count} mask frames, others "
                f"{first.frame_count}; give every object one mask per frame"
            )
    return first.frame_count, first.size


def _from_planes(
    target: Path, planes: dict[int, Plane], labels: bool, description: dict | None
) -> ImportedMasks:
    plane = planes[1]
    described = (description or {}).get("layout") == "labels"
    labels = labels or described or getattr(plane, "palette", False)
    if labels:
        return _label_masks(target, plane, description)
    names = {1: "obj1"}
    if description is not None and description["objects"]:
        obj, name = next(iter(object_names(description).items()))
        planes = {obj: plane}
        names = {obj: name}
    return _soft_masks(target, planes, names, description)


def _soft_masks(
    target: Path, planes: dict[int, Plane], names: dict[int, str], description: dict | None
) -> ImportedMasks:
    frame_count, size = _check_planes(target, planes)

    def read(index: int) -> dict[int, np.ndarray]:
        return {
            obj: gray_to_alpha(p.read(index), lossless=p.lossless, peak=getattr(p, "peak", 255))
            for obj, p in planes.items()
        }

    fps = _fps(planes, description)
    return ImportedMasks(target, names, frame_count, size, read, fps, description)


def _label_masks(target: Path, plane: Plane, description: dict | None) -> ImportedMasks:
    if not plane.lossless:
        raise VfxError(f"label maps in {target} use a lossy format; export them as PNG or FFV1")
    if description is not None:
        names = object_names(description)
    else:
        found: set[int] = set()
        for index in range(plane.frame_count):
            found.update(int(v) for v in np.unique(plane.read(index)))
            limits.OBJECTS.check(len(found - {0}), f"label maps in {target}")
        names = {i: f"obj{i}" for i in sorted(found - {0})}
    if not names:
        raise VfxError(f"label maps in {target} hold no object (every pixel is 0); check the masks")

    def read(index: int) -> dict[int, np.ndarray]:
        label = plane.read(index)
        return {obj: (label == obj).astype(np.float32) for obj in names}

    frame_count, size = _check_planes(target, {1: plane})
    fps = _fps({1: plane}, description)
    return ImportedMasks(target, names, frame_count, size, read, fps, description)


def _fps(planes: dict[int, Plane], description: dict | None) -> float | None:
    if description is not None and description.get("fps"):
        return float(description["fps"])
    for plane in planes.values():
        if isinstance(plane, GrayVideo) and plane.fps:
            return plane.fps
    return None
