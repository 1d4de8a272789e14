"""``vfx segment``: automatic masks of one frame as a contact sheet of numbered candidates,
and their JSON.

>>> vfx.segment("clip.mp4", 0, "candidates.png", json_path="candidates.json")  # doctest: +SKIP

The sheet has two panels: the frame with every candidate outlined in its own colour and its
number written inside it, and the candidates filled in their colours (smaller ones drawn on top)
with the same numbers. Numbers follow area, largest first, as ``--auto ids:N`` reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sam2.mask_rle import coco_rle, crop_masks_to_rles
from vfx.errors import VfxError
from vfx.io.atomic import atomic_output, check_output_path
from vfx.rendering.preview import Panel, contact_sheet
from vfx.sources.auto_candidates import Candidate, frame_candidates

MIN_DRAW_SIDE = 480  # small frames are enlarged so numbers stay legible


def candidate_color(number: int) -> tuple[int, int, int]:
    """A bright RGB colour per candidate number (golden-angle hues, so neighbours differ)."""
    hue = int((number * 137.508) % 180)  # OpenCV hue is 0..179
    hsv = np.array([[[hue, 200, 255]]], dtype=np.uint8)
    red, green, blue = (int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
    return red, green, blue


def _label_point(mask: np.ndarray) -> tuple[int, int]:
    """The pixel deepest inside ``mask`` (``[H, W]`` bool), where a number reads best."""
    padded = np.pad(mask.astype(np.uint8), 1)  # so the frame border counts as outside
    depth = cv2.distanceTransform(padded, cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(x), int(y)


def _number_tag(
    image: np.ndarray, text: str, center: tuple[int, int], color: tuple[int, int, int], scale: float
) -> None:
    """``text`` in white on a dark tag edged in the candidate's ``color``, centred on ``center``."""
    font, weight = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(scale * 2))
    (width, height), base = cv2.getTextSize(text, font, scale, weight)
    pad = max(2, round(4 * scale))
    x0, y0 = center[0] - width // 2 - pad, center[1] - height // 2 - pad
    x1, y1 = x0 + width + 2 * pad, y0 + height + base + 2 * pad
    cv2.rectangle(image, (x0, y0), (x1, y1), (20, 20, 20), -1)
    cv2.rectangle(image, (x0, y0), (x1, y1), color, max(1, weight - 1))
    cv2.putText(image, text, (x0 + pad, y0 + pad + height), font, scale, (255, 255, 255), weight,
                cv2.LINE_AA)  # fmt: skip


def _spread(points: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Move each point down (then up) until it is ``gap`` away from the points before it, so
    tags of candidates whose deepest pixels coincide do not cover each other."""
    placed: list[tuple[int, int]] = []
    for x, y in points:
        for step in (0, 1, -1, 2, -2, 3, -3, 4, -4):
            moved = (x, y + step * gap)
            if all(abs(moved[0] - px) >= 2 * gap or abs(moved[1] - py) >= gap for px, py in placed):
                break
        placed.append(moved)
    return placed


def candidate_sheet(rgb: np.ndarray, candidates: list[Candidate], title: str) -> np.ndarray:
    """The two-panel sheet (``[H', W', 3]`` uint8 RGB) for ``rgb`` ``[H, W, 3]`` uint8."""
    height, width = rgb.shape[:2]
    scale = max(1.0, MIN_DRAW_SIDE / min(height, width))
    size = (round(width * scale), round(height * scale))
    outlined = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
    filled = (outlined.astype(np.float32) * 0.35).astype(np.uint8)
    thickness = max(1, round(min(size) / 300))
    text_scale = max(0.6, min(size) / 500)
    order = list(reversed(candidates))  # largest drawn first, smaller ones on top
    points = []
    for candidate in order:
        mask = cv2.resize(candidate.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        color = candidate_color(candidate.id)
        filled[mask > 0] = color
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(outlined, contours, -1, color, thickness, cv2.LINE_AA)
        points.append(_label_point(mask > 0))
    for candidate, point in zip(order, _spread(points, round(30 * text_scale)), strict=True):
        for image in (outlined, filled):
            _number_tag(image, str(candidate.id), point, candidate_color(candidate.id), text_scale)
    return contact_sheet([Panel(title, outlined), Panel("candidates, filled", filled)], columns=2)


def candidates_json(candidates: list[Candidate], frame: int) -> dict:
    """JSON-ready ``{"frame", "width", "height", "candidates": [{id, bbox [x, y, w, h], area,
    score, stability, rle {"size", "counts"}}]}``; ``rle`` is COCO's compressed form."""
    height, width = candidates[0].mask.shape if candidates else (0, 0)
    entries = []
    for c in candidates:
        rle = crop_masks_to_rles(c.mask[None], [0, 0, width, height], (height, width))[0]
        entries.append(
            {
                "id": c.id,
                "bbox": c.bbox,
                "area": c.area,
                "score": round(c.score, 6),
                "stability": round(c.stability, 6),
                "rle": coco_rle(rle),
            }
        )
    return {"frame": frame, "width": width, "height": height, "candidates": entries}


def write_sheet(path: str | Path, sheet: np.ndarray) -> None:
    """Write ``sheet`` (RGB) to a PNG atomically."""
    with atomic_output(path) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise VfxError(f"could not write {path}; check the folder is writable")


def write_json(path: str | Path, payload: dict) -> None:
    """Write ``payload`` as JSON atomically."""
    with atomic_output(path) as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def segment(
    input: str | Path,
    frame: int,
    output: str | Path,
    *,
    json_path: str | Path | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    generator_options: Mapping[str, Any] | None = None,
    force: bool = False,
) -> list[Candidate]:
    """Automatic masks of frame ``frame``: a PNG contact sheet of the numbered candidates at
    ``output`` and, with ``json_path``, their JSON (id, bbox, area, score, COCO RLE).

    Candidates are numbered by area, largest first: the numbers ``auto="ids:3,5"`` takes.
    ``generator_options`` are SAM2AutomaticMaskGenerator arguments (official defaults otherwise).

    Returns:
        The candidates (each with its ``[H, W]`` bool mask).
    """
    from vfx.io.reader import open_video

    if Path(output).suffix.lower() != ".png":
        raise VfxError(f"the candidate sheet {output} must be a .png file, e.g. -o candidates.png")
    if json_path is not None and Path(json_path).suffix.lower() != ".json":
        raise VfxError(f"--json {json_path} must be a .json file, e.g. --json candidates.json")
    with open_video(input) as reader:
        info = reader.info
        if not 0 <= frame < info.frame_count:
            raise VfxError(
                f"frame {frame} is outside this {info.frame_count}-frame video; "
                f"use --frame 0 to {info.frame_count - 1}"
            )
        for path in (output, json_path):
            if path is not None:
                check_output_path(path, force=force, inputs=(info.path,))
        rgb = reader.read(frame)
        candidates = frame_candidates(
            reader,
            frame,
            model=model,
            checkpoint=checkpoint,
            device=device,
            generator_options=generator_options,
        )
    title = f"frame {frame}: {len(candidates)} candidates, numbered largest first"
    write_sheet(output, candidate_sheet(rgb, candidates, title))
    if json_path is not None:
        write_json(json_path, candidates_json(candidates, frame))
    return candidates
