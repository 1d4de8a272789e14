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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vfx.errors import VfxError
from vfx.frame_range import reader_range
from vfx.io.atomic import atomic_output, check_output_path
from vfx.io.video_source import VideoReader
from vfx.presets import Preset
from vfx.prompts.model import ObjectPrompts
from vfx.prompts.parsing import validate_prompts
from vfx.rendering.pipeline import FrameRenderer, MaskedFrame, masked_frames
from vfx.sources.auto_objects import AutoSpec, auto_prompts, check_auto
from vfx.sources.base import MaskSource

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
    """Draw ``text`` in white with a dark rim (the same glyphs shifted) so it reads anywhere."""
    font_scale = max(0.35, scale)
    x, y = origin
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1), (1, 1)):
        cv2.putText(
            image, text, (x + dx, y + dy), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), 1,
            cv2.LINE_AA,
        )  # fmt: skip
    cv2.putText(
        image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), 1, cv2.LINE_AA
    )


def draw_prompts(image: np.ndarray, prompts: list[ObjectPrompts], frame_index: int) -> None:
    """Draw the points (filled: positive, crossed: negative) and boxes on ``frame_index``."""
    from effects.core.colors import object_color

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
    """``frame`` dimmed outside ``mask`` (``[H, W]`` 0..1), tinted inside in the object colour."""
    from effects.core.colors import object_color

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
            image = over_checkerboard(image)
        sheet[top + title_h : top + title_h + height, left : left + width] = cv2.resize(
            image, (width, height), interpolation=cv2.INTER_AREA
        )
        _label(sheet, panel.title, (left + 6, top + 18), 0.5)
    return sheet


def over_checkerboard(rgba: np.ndarray) -> np.ndarray:
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


def _chosen_frame(
    reader: VideoReader, frame: int | str | None, start: str | int | None, end: str | int | None
) -> int:
    """The frame to show: ``frame`` (a number or time), else the segment's first frame."""
    segment = reader_range(reader, start, end)
    if frame is None:
        return segment.start
    count = reader.info.frame_count
    if str(frame).strip().lstrip("-").isdigit() and not 0 <= int(frame) < count:
        raise VfxError(
            f"frame {frame} is outside this {count}-frame video; use --frame 0 to {count - 1}"
        )
    index = reader_range(reader, frame, None).start
    if not segment.start <= index < segment.stop:
        raise VfxError(
            f"--frame {frame} is outside the segment {segment.start}..{segment.stop - 1} "
            "of --start/--end; pick a frame inside it"
        )
    return index


def preview(
    input: str | Path,
    frame: int | str | None,
    output: str | Path,
    *,
    start: str | int | None = None,
    end: str | int | None = None,
    preset: str | Path | Preset | None = None,
    masks: MaskSource | str | Path | None = None,
    chroma: str | None = None,
    prompts: list[ObjectPrompts] | None = None,
    auto: str | AutoSpec | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    overrides: Sequence[str] = (),
    force: bool = False,
) -> list[str]:
    """Write a PNG contact sheet of frame ``frame`` (see the module docstring).

    Masks come from ``masks``/``chroma``, or from SAM 2 run on this one frame
    when ``prompts`` include it and a checkpoint is found. ``auto`` picks objects from the
    automatic masks instead of prompts (its frame defaults to ``frame``). ``frame`` is a frame
    number or a time (``2.5s``); without it, the first frame of the ``start``/``end`` segment.

    Returns:
        Notes for the user, e.g. why no mask panels were drawn.
    """
    from vfx.api import resolve_preset
    from vfx.io.reader import open_video
    from vfx.sources.choice import check_one_source, open_source

    if masks is not None or chroma is not None:
        check_one_source(masks, chroma, None)
    if Path(output).suffix.lower() != ".png":
        raise VfxError(f"preview output {output} must be a .png file, e.g. -o preview.png")
    notes: list[str] = []
    with open_video(input) as reader:
        info = reader.info
        frame = _chosen_frame(reader, frame, start, end)
        spec = check_auto(auto, masks, chroma, prompts, default_frame=frame)
        if prompts:
            validate_prompts(prompts, info.width, info.height, info.frame_count)
        chosen = None if preset is None else resolve_preset(preset, overrides)
        check_output_path(output, force=force, inputs=(info.path,))
        rgb = reader.read(frame)
        if spec is not None:
            prompts = auto_prompts(reader, spec, model=model, checkpoint=checkpoint, device=device)
        gridded = draw_grid(rgb)
        draw_prompts(gridded, prompts or [], frame)
        panels = [Panel(f"frame {frame}, {info.width}x{info.height}, grid in pixels", gridded)]
        source: MaskSource | None = None
        if masks is not None or chroma is not None:
            source = open_source(masks, chroma, info)
            item = masked_frame(reader, source, chosen, frame)
        elif prompts:
            source = _sam2_frame_masks(rgb, frame, prompts, model, checkpoint, device, notes)
            item = None
            if source is not None:
                with open_video(rgb[None]) as single:  # [H, W, 3] -> a one-frame video
                    item = masked_frame(single, source, chosen, 0)
        else:
            item = None
            notes.append(
                "no masks given: showing the frame only (add --point, --masks or --chroma)"
            )
        if item is not None and source is not None:
            panels += object_panels(rgb, item.objects, source.names)
            if chosen is not None:
                renderer = FrameRenderer(
                    chosen.build_graph(), source.names, (info.width, info.height), chosen.base_dir
                )
                panels.append(Panel(f"result: {chosen.name}", renderer(item)))
    sheet = contact_sheet(panels)
    with atomic_output(output) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise VfxError(f"could not write {output}; check the folder is writable")
    return notes


def masked_frame(
    reader: VideoReader, source: MaskSource, preset: Preset | None, index: int
) -> MaskedFrame:
    """Frame ``index`` with its masks, smoothed over the window the preset's smoothing needs
    (what a preview of one frame shows)."""
    from vfx.masks.settings import SmoothSettings

    specs = {} if preset is None else preset.masks
    reach = max(
        (
            SmoothSettings.from_dict(s.smooth).window // 2
            for s in specs.values()
            if s.smooth is not None
        ),
        default=0,
    )
    with masked_frames(reader, source, specs, max(0, index - reach), index + reach + 1) as frames:
        for item in frames:
            if item.frame.index == index:
                return item
    raise VfxError(f"frame {index} could not be decoded; check the video with `vfx info`")


def _sam2_frame_masks(
    rgb: np.ndarray,
    index: int,
    prompts: list[ObjectPrompts],
    model: str | None,
    checkpoint: str | Path | None,
    device: str,
    notes: list[str],
) -> MaskSource | None:
    """SAM 2 image-predictor masks of the objects prompted on frame ``index`` (one-frame source)."""
    from vfx.sources.tracking import choose_model, predict_frame_masks

    on_frame = [obj for obj in prompts if any(fp.frame == index for fp in obj.prompts)]
    if not on_frame:
        notes.append(f"no prompts on frame {index}: SAM 2 masks are shown for prompted frames only")
        return None
    try:
        choice = choose_model(model, checkpoint)
    except VfxError as exc:
        if model is not None or checkpoint is not None:
            raise
        notes.append(f"masks not shown: {exc.message}")
        return None
    masks = predict_frame_masks(rgb, index, on_frame, choice, device)
    return _OneFrameMasks(masks, {obj.id: obj.name for obj in on_frame})


@dataclass
class _OneFrameMasks:
    """A mask source for a single frame (index 0): ``{id: [H, W] float32}``."""

    masks: dict[int, np.ndarray]
    names: dict[int, str]
    frame_count: int | None = 1
    object_ids: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.object_ids = sorted(self.masks)

    def masks_at(self, index: int, frame: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """The masks; the frame index is ignored."""
        return self.masks
