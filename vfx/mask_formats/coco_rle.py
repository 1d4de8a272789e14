"""``coco-rle``: per-frame, per-object COCO run-length masks in one JSON file.

The layout follows YouTube-VIS (COCO for video), which video-segmentation tools
read: ``videos`` (one entry: size, length, fps), ``categories`` (one generic
"object"), and one ``annotations`` entry per object whose ``segmentations``
list holds, for every frame, ``{"size": [H, W], "counts": "..."}`` in the
compressed string form that ``pycocotools.mask.decode`` accepts, plus
``areas`` and ``bboxes`` (``[x, y, w, h]``, ``null`` when the object is absent).
Masks are binary: soft masks are cut at 0.5. The export description sits under
``"vfx"``; YouTube-VIS files from other tools import too (``null`` = empty).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vfx import limits
from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.mask_formats.imported_masks import ImportedMasks
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.rle_codec import decode_rle, encode_rle
from vfx.mask_formats.sidecar import check_description, object_names
from vfx.masks.morphology import support_box
from vfx.safe_yaml import echo

CUT = 0.5


def _bbox(mask: np.ndarray) -> list[int] | None:
    """COCO ``[x, y, w, h]`` of a ``[H, W]`` bool mask, ``None`` when empty."""
    box = support_box(mask)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    return [x0, y0, x1 - x0, y1 - y0]


def write_coco_rle(job: ExportJob, out: Path) -> int:
    """Write the export to the ``.json`` file ``out``; returns the number of frames."""
    if job.layout == "labels":
        raise VfxError("coco-rle stores one mask per object; use --combine separate or union")
    segmentations: dict[int, list[dict]] = {obj: [] for obj in job.objects}
    areas: dict[int, list[int]] = {obj: [] for obj in job.objects}
    bboxes: dict[int, list[list[int] | None]] = {obj: [] for obj in job.objects}
    for frame in job.frames():
        for obj, alpha in frame.masks.items():
            mask = alpha >= CUT
            segmentations[obj].append(encode_rle(mask))
            areas[obj].append(int(mask.sum()))
            bboxes[obj].append(_bbox(mask))
    annotations = [
        {
            "id": obj,
            "video_id": 1,
            "category_id": 1,
            "name": name,
            "iscrowd": 0,
            "segmentations": segmentations[obj],
            "areas": areas[obj],
            "bboxes": bboxes[obj],
        }
        for obj, name in job.objects.items()
    ]
    document = {
        "info": {"description": "vfx mask export (YouTube-VIS layout, COCO RLE)"},
        "videos": [
            {
                "id": 1,
                "width": job.width,
                "height": job.height,
                "length": job.frame_count,
                "fps": job.fps,
                "file_names": [],
                "source_video": str(job.video) if job.video else None,
            }
        ],
        "categories": [{"id": 1, "name": "object"}],
        "annotations": annotations,
        "vfx": job.description("coco-rle"),
    }
    with atomic_output(out) as tmp:
        tmp.write_text(json.dumps(document), encoding="utf-8")
    return job.frame_count


def open_coco_masks(path: Path) -> ImportedMasks:
    """Open a COCO RLE / YouTube-VIS JSON file as a mask source (one object per annotation).

    Every field is checked for type and range before anything is decoded, and each
    RLE's declared size must be the video's, so a small file cannot claim a huge mask.
    """
    limits.METADATA_BYTES.check(path.stat().st_size, f"COCO file {path}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise VfxError(
            f"cannot read {path} as COCO RLE video masks ({echo(str(exc))[1:-1]}); "
            "pass a vfx export"
        ) from None
    where = f"COCO file {path}"
    video = _first_video(document, where)
    width, height = (
        _whole(video.get("width"), f"{where}: width", 1),
        _whole(video.get("height"), f"{where}: height", 1),
    )
    annotations = document.get("annotations")
    if not isinstance(annotations, list):
        raise VfxError(f"{where} has no 'annotations' list; pass a vfx export")
    tracks: dict[int, list] = {}
    for n, entry in enumerate(annotations):
        if not isinstance(entry, dict) or not isinstance(entry.get("segmentations"), list):
            raise VfxError(f"{where}: annotation {n} needs an 'id' and a 'segmentations' list")
        tracks[_whole(entry.get("id"), f"{where}: annotation {n} id", 1)] = entry["segmentations"]
    if not tracks:
        raise VfxError(f"{path} holds no annotations; export at least one object")
    limits.IMAGE_PIXELS.check(width * height, f"{where} ({width}x{height})")
    meta = document.get("vfx")
    if meta is not None:
        meta = check_description(meta, f"{path} (vfx)")
        names = object_names(meta)
    else:
        names = {int(a["id"]): str(a.get("name") or f"obj{a['id']}") for a in annotations}
    lengths = {len(segs) for segs in tracks.values()}
    if len(lengths) != 1:
        raise VfxError(
            f"{path} has objects with different frame counts; give every object all frames"
        )
    empty = np.zeros((height, width), np.float32)

    def read(index: int) -> dict[int, np.ndarray]:
        masks = {}
        for obj, segs in tracks.items():
            rle = segs[index]
            where_rle = f"{path}: object {obj} frame {index}"
            masks[obj] = (
                empty.copy()
                if rle is None
                else decode_rle(rle, (height, width), where_rle).astype(np.float32)
            )
        return masks

    fps = video.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float)) or fps <= 0):
        raise VfxError(f"{where}: fps {echo(fps)} is not a positive number; fix or re-export it")
    return ImportedMasks(path, names, lengths.pop(), (width, height), read, fps, meta)


def _first_video(document: object, where: str) -> dict:
    videos = document.get("videos") if isinstance(document, dict) else None
    if not isinstance(videos, list) or not videos or not isinstance(videos[0], dict):
        raise VfxError(f"{where} has no 'videos' list with width and height; pass a vfx export")
    return videos[0]


def _whole(value: object, what: str, low: int) -> int:
    """``value`` when it is a whole number >= ``low`` (JSON ints only), else a one-line error."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise VfxError(f"{what} is {echo(value)}; it must be a whole number >= {low}")
    return value
