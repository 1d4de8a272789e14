"""``vfx segment``: automatic masks on one frame, as a numbered contact sheet (and JSON)."""

from __future__ import annotations

import click

from vfx.cli.options import force_option, input_argument, model_options, output_option


@click.command()
@input_argument
@click.option("--frame", type=int, default=0, show_default=True, help="Frame index.")
@output_option("The contact sheet, a .png file.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Also write the candidates (id, bbox, area, score, COCO RLE) to this .json file.",
)
@model_options
@click.option("--points-per-side", type=int, default=32, show_default=True,
              help="Grid of point prompts per image side.")  # fmt: skip
@click.option("--points-per-batch", type=int, default=64, show_default=True,
              help="Point prompts decoded at once.")  # fmt: skip
@click.option("--pred-iou-thresh", type=float, default=0.8, show_default=True,
              help="Drop masks the model rates below this (0 keeps all).")  # fmt: skip
@click.option("--stability-score-thresh", type=float, default=0.95, show_default=True,
              help="Drop masks less stable than this (0 keeps all).")  # fmt: skip
@click.option("--box-nms-thresh", type=float, default=0.7, show_default=True,
              help="Box IoU above which the weaker of two masks is dropped.")  # fmt: skip
@click.option("--crop-n-layers", type=int, default=0, show_default=True,
              help="Also segment 2x2, 4x4, ... crops (finds small objects; slower).")  # fmt: skip
@click.option("--min-mask-region-area", type=int, default=0, show_default=True,
              help="Fill holes and remove specks up to this area (low-res pixels).")  # fmt: skip
@click.option("--use-m2m", is_flag=True, help="Refine each mask with a second decoder pass.")
@force_option("Overwrite outputs that exist.")
def segment(
    input_path: str,
    frame: int,
    output: str,
    json_path: str | None,
    model: str | None,
    checkpoint: str | None,
    device: str,
    points_per_side: int,
    points_per_batch: int,
    pred_iou_thresh: float,
    stability_score_thresh: float,
    box_nms_thresh: float,
    crop_n_layers: int,
    min_mask_region_area: int,
    use_m2m: bool,
    force: bool,
) -> None:
    """Segment frame N of INPUT into candidate objects, numbered largest first.

    Use the numbers to pick objects without clicking: `--auto N:ids:3,5`.

    \b
    Example:
      vfx segment clip.mp4 --frame 0 -o candidates.png --json candidates.json
      vfx render clip.mp4 -o out.mp4 --preset background-blur --auto 0:ids:2
    """
    from vfx.rendering.segment_sheet import segment as segment_frame

    options = {
        "points_per_side": points_per_side,
        "points_per_batch": points_per_batch,
        "pred_iou_thresh": pred_iou_thresh,
        "stability_score_thresh": stability_score_thresh,
        "box_nms_thresh": box_nms_thresh,
        "crop_n_layers": crop_n_layers,
        "min_mask_region_area": min_mask_region_area,
        "use_m2m": use_m2m,
    }
    candidates = segment_frame(
        input_path,
        frame,
        output,
        json_path=json_path,
        model=model,
        checkpoint=checkpoint,
        device=device,
        generator_options=options,
        force=force,
    )
    click.echo(f"wrote {output}: {len(candidates)} candidates on frame {frame}")
    if json_path is not None:
        click.echo(f"wrote {json_path}")
