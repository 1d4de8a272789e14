"""A one-frame contact sheet to look at before a long render.

Panels, left to right and top to bottom:

1. the frame with a light pixel grid (labelled in pixels of the displayed
   frame) and the prompts on that frame drawn on it, so that click
   coordinates can be read off;
2. one panel per object: its mask tinted in the object's colour, with its id
   and name;
3. the preset's result.

With no masks (no prompts on that frame and no --masks/--chroma) the sheet
holds only the gridded frame, which is what picking coordinates needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from vfx.prompts_model import ObjectPrompts

PANEL_WIDTH = 640
GRID_STEPS = (10, 20, 25, 50, 100, 200, 250, 500, 1000)


@dataclass(frozen=True)
class Panel:
    """One labelled picture of the sheet: ``image`` is ``[H, W, 3]`` uint8 RGB."""

    title: str
    image: np.ndarray


def grid_step(width: int, height: int) -> int:
    """A round grid spacing in pixels giving about 8 to 20 lines across the longer side."""
    longest = max(width, height)
    for step in GRID_STEPS:
        if longest / step <= 20:
            return step
    return GRID_STEPS[-1]


def draw_grid(frame: np.ndarray) -> np.ndarray:
    """A copy of ``frame`` ``[H, W, 3]`` uint8 with a light pixel grid and coordinate labels."""
    height, width = frame.shape[:2]
    step = grid_step(width, height)
    lines = frame.copy()
    for x in range(step, width, step):
        cv2.line(lines, (x, 0), (x, height - 1), (255, 255, 255), 1)
    for y in range(step, height, step):
        cv2.line(lines, (0, y), (width - 1, y), (255, 255, 255), 1)
    out = cv2.addWeighted(frame, 0.65, lines, 0.35, 0.0)
    scale = max(height, width) / 1600
    for x in range(0, width, 2 * step):
        _label(out, str(x), (x + 2, 12 + int(10 * scale)), scale)
    for y in range(2 * step, height, 2 * step):
        _label(out, str(y), (2, y - 3), scale)
    return out


def _label(image: np.ndarray, text: str, origin: tuple[int, int], scale: float) -> None:
    """Draw ``text`` with a dark outline so it reads on any background."""
    font_scale = max(0.35, scale)
    cv2.putText(
        image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), 3, cv2.LINE_AA
    )
    cv2.putText(
        image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), 1, cv2.LINE_AA
    )


def draw_prompts(image: np.ndarray, prompts: list[ObjectPrompts], frame_index: int) -> None:
    """Draw the points (filled: positive, crossed: negative) and boxes on ``frame_index``."""
    from effects.colors import object_color

    size = max(4, max(image.shape[:2]) // 100)
    for obj in prompts:
        color = tuple(int(c) for c in object_color(obj.id))
        for fp in obj.prompts:
            if fp.frame != frame_index:
                continue
            for (x, y), label in zip(fp.points or [], fp.labels or [], strict=False):
                center = (round(x), round(y))
                if label:
                    cv2.circle(image, center, size + 2, (255, 255, 255), -1, cv2.LINE_AA)
                    cv2.circle(image, center, size, color, -1, cv2.LINE_AA)
                else:
                    cv2.drawMarker(
                        image, center, (255, 255, 255), cv2.MARKER_TILTED_CROSS, 3 * size, 4
                    )
                    cv2.drawMarker(image, center, color, cv2.MARKER_TILTED_CROSS, 3 * size, 2)
            if fp.box is not None:
                x0, y0, x1, y1 = (round(v) for v in fp.box)
                cv2.rectangle(image, (x0, y0), (x1, y1), color, 2)


def mask_panel(frame: np.ndarray, mask: np.ndarray, obj_id: int, name: str) -> Panel:
    """``frame`` dimmed outside ``mask`` ``[H, W]`` 0..1 and tinted inside in the object's colour."""
    from effects.colors import object_color

    color = np.array(object_color(obj_id), np.float32)
    alpha = np.clip(mask, 0.0, 1.0)[..., None]  # [H, W] -> [H, W, 1]
    base = frame.astype(np.float32)
    tinted = base * (1 - 0.45 * alpha) + color * (0.45 * alpha)
    tinted *= 0.35 + 0.65 * alpha
    image = np.clip(tinted + 0.5, 0, 255).astype(np.uint8)
    return Panel(f"object {obj_id}: {name}", image)


def contact_sheet(panels: list[Panel], columns: int = 2) -> np.ndarray:
    """Lay ``panels`` out in a grid with a title bar each; returns ``[H, W, 3]`` uint8 RGB."""
    first = panels[0].image
    scale = min(1.0, PANEL_WIDTH / first.shape[1])
    width = round(first.shape[1] * scale)
    height = round(first.shape[0] * scale)
    title_h = 26
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    sheet = np.full((rows * (height + title_h), columns * width, 3), 32, np.uint8)
    for n, panel in enumerate(panels):
        row, col = divmod(n, columns)
        top, left = row * (height + title_h), col * width
        image = panel.image
        if image.shape[2] == 4:
            image = _over_checkerboard(image)
        sheet[top + title_h : top + title_h + height, left : left + width] = cv2.resize(
            image, (width, height), interpolation=cv2.INTER_AREA
        )
        _label(sheet, panel.title, (left + 6, top + 18), 0.5)
    return sheet


def _over_checkerboard(rgba: np.ndarray) -> np.ndarray:
    """Straight-alpha ``[H, W, 4]`` over a grey checkerboard, as ``[H, W, 3]``."""
    height, width = rgba.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    board = np.where(((yy // 16 + xx // 16) % 2 == 0)[..., None], 200, 150).astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0  # [H, W, 1]
    return np.clip(rgba[..., :3] * alpha + board * (1 - alpha) + 0.5, 0, 255).astype(np.uint8)


def object_panels(
    frame: np.ndarray, masks: Mapping[int, np.ndarray], names: Mapping[int, str]
) -> list[Panel]:
    """One :func:`mask_panel` per object, in id order."""
    return [
        mask_panel(frame, masks[obj_id], obj_id, names.get(obj_id, f"obj{obj_id}"))
        for obj_id in sorted(masks)
    ]
