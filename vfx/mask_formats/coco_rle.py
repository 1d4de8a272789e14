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

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.mask_formats.imported_masks import ImportedMasks
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.rle_codec import decode_rle, encode_rle
from vfx.mask_formats.sidecar import check_description, object_names
from vfx.masks.morphology import support_box

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
    annotations = {
        obj: {
            "id": obj,
            "video_id": 1,
            "category_id": 1,
            "name": name,
            "iscrowd": 0,
            "segmentations": [],
            "areas": [],
            "bboxes": [],
        }
        for obj, name in job.objects.items()
    }
    for frame in job.frames():
        for obj, alpha in frame.masks.items():
            mask = alpha >= CUT
            entry = annotations[obj]
            entry["segmentations"].append(encode_rle(mask))
            entry["areas"].append(int(mask.sum()))
            entry["bboxes"].append(_bbox(mask))
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
        "annotations": list(annotations.values()),
        "vfx": job.description("coco-rle"),
    }
    with atomic_output(out) as tmp:
        tmp.write_text(json.dumps(document), encoding="utf-8")
    return job.frame_count


def open_coco_masks(path: Path) -> ImportedMasks:
    """Open a COCO RLE / YouTube-VIS JSON file as a mask source (one object per annotation)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        annotations = document["annotations"]
        video = document["videos"][0]
        width, height = int(video["width"]), int(video["height"])
        tracks = {int(a["id"]): a["segmentations"] for a in annotations}
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        IndexError,
        TypeError,
    ) as exc:
        raise VfxError(
            f"cannot read {path} as COCO RLE video masks ({exc}); pass a vfx export"
        ) from exc
    if not tracks:
        raise VfxError(f"{path} holds no annotations; export at least one object")
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
            mask = empty.copy() if rle is None else decode_rle(rle).astype(np.float32)
            if mask.shape != empty.shape:
                raise VfxError(f"{path}: object {obj} frame {index} is not {width}x{height}")
            masks[obj] = mask
        return masks

    fps = video.get("fps")
    return ImportedMasks(path, names, lengths.pop(), (width, height), read, fps, meta)
