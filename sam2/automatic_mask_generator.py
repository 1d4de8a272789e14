"""SAM2AutomaticMaskGenerator: "segment everything" by prompting a grid of points.

Drop-in for the official class (same constructor arguments, defaults and output records)::

    gen = SAM2AutomaticMaskGenerator(build_sam2("sam2.1_hiera_t.yaml", ckpt))
    records = gen.generate(rgb)   # [H, W, 3] uint8 -> list of dicts, one per mask

Each crop (the whole image, then ``crop_n_layers`` layers of overlapping tiles) is embedded
once; its grid points are decoded ``points_per_batch`` at a time against that one embedding.
Candidates are filtered by predicted IoU on the low-resolution logits, then upsampled a bounded
number at a time (``UPSAMPLE_PIXELS``) for the stability score, boxes and run-length encoding,
so memory does not grow with ``points_per_batch x image size``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from sam2.amg_boxes import box_nms, masks_to_boxes, near_crop_edge, xyxy_to_xywh
from sam2.amg_point_grids import crop_boxes, layer_point_grids
from sam2.image_transforms import image_to_array, to_model_coords
from sam2.mask_rle import coco_rle, crop_masks_to_rles, plain_rle, rle_area, rle_to_mask
from sam2.modeling.sam2_base import SAM2Base
from sam2.sam2_image_predictor import SAM2ImagePredictor

OUTPUT_MODES = ("binary_mask", "uncompressed_rle", "coco_rle")
UPSAMPLE_PIXELS = 64 * 1024 * 1024  # full-resolution logits held at once (float32: 256 MiB)
LOW_RES_CLAMP = 32.0  # mask prompts for the refinement pass are clamped like predictor outputs


@dataclass
class MaskCandidates:
    """Masks kept so far, as parallel arrays (N candidates).

    ``rles``: N uncompressed RLEs in the whole image's frame (counts as int arrays: compact
    while a crop's candidates wait for suppression); ``boxes [N, 4]`` int64 inclusive
    xyxy; ``iou_preds [N]``, ``stability [N]`` float32; ``points [N, 2]`` float32 (x, y) prompt;
    ``crop_boxes [N, 4]`` int64 xyxy of the crop the mask came from.
    """

    rles: list[dict]
    boxes: torch.Tensor
    iou_preds: torch.Tensor
    stability: torch.Tensor
    points: torch.Tensor
    crop_boxes: torch.Tensor

    @classmethod
    def empty(cls) -> MaskCandidates:
        no_boxes = torch.empty(0, 4, dtype=torch.int64)
        return cls([], no_boxes, torch.empty(0), torch.empty(0), torch.empty(0, 2), no_boxes)

    @classmethod
    def concat(cls, parts: list[MaskCandidates]) -> MaskCandidates:
        return cls(
            rles=[rle for part in parts for rle in part.rles],
            boxes=torch.cat([p.boxes for p in parts]).reshape(-1, 4),
            iou_preds=torch.cat([p.iou_preds for p in parts]),
            stability=torch.cat([p.stability for p in parts]),
            points=torch.cat([p.points for p in parts]).reshape(-1, 2),
            crop_boxes=torch.cat([p.crop_boxes for p in parts]).reshape(-1, 4),
        )

    def take(self, index: np.ndarray) -> MaskCandidates:
        """The candidates at ``index`` (int positions), in that order."""
        picked = torch.as_tensor(index, dtype=torch.int64)
        return MaskCandidates(
            rles=[self.rles[i] for i in index.tolist()],
            boxes=self.boxes[picked],
            iou_preds=self.iou_preds[picked],
            stability=self.stability[picked],
            points=self.points[picked],
            crop_boxes=self.crop_boxes[picked],
        )


class SAM2AutomaticMaskGenerator:
    """Masks for a whole image from a grid of single-point prompts (see the module docstring).

    Arguments mean what they mean in the official package: ``points_per_side`` (or explicit
    unit-square ``point_grids``, one per crop layer), ``points_per_batch`` prompts decoded at
    once, ``pred_iou_thresh`` / ``stability_score_thresh`` filters (0 disables), the
    ``stability_score_offset`` around ``mask_threshold``, ``box_nms_thresh`` within a crop and
    ``crop_nms_thresh`` across crops, ``crop_n_layers`` / ``crop_overlap_ratio`` /
    ``crop_n_points_downscale_factor`` for crops, ``min_mask_region_area`` (holes and specks of
    at most this many low-resolution pixels are removed before upsampling), ``output_mode``
    (``binary_mask``, ``uncompressed_rle`` or ``coco_rle``), ``use_m2m`` (one refinement pass
    with each mask as a prompt) and ``multimask_output``.
    """

    def __init__(
        self,
        model: SAM2Base,
        points_per_side: int | None = 32,
        points_per_batch: int = 64,
        pred_iou_thresh: float = 0.8,
        stability_score_thresh: float = 0.95,
        stability_score_offset: float = 1.0,
        mask_threshold: float = 0.0,
        box_nms_thresh: float = 0.7,
        crop_n_layers: int = 0,
        crop_nms_thresh: float = 0.7,
        crop_overlap_ratio: float = 512 / 1500,
        crop_n_points_downscale_factor: int = 1,
        point_grids: list[np.ndarray] | None = None,
        min_mask_region_area: int = 0,
        output_mode: str = "binary_mask",
        use_m2m: bool = False,
        multimask_output: bool = True,
        **kwargs: Any,
    ) -> None:
        if (points_per_side is None) == (point_grids is None):
            raise ValueError("give exactly one of points_per_side or point_grids")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"unknown output_mode {output_mode!r}; use one of {OUTPUT_MODES}")
        if points_per_batch < 1:
            raise ValueError(f"points_per_batch must be at least 1, got {points_per_batch}")
        if points_per_side is not None:
            grids = layer_point_grids(
                points_per_side, crop_n_layers, crop_n_points_downscale_factor
            )
        else:
            assert point_grids is not None  # exactly one of the two, checked above
            grids = [np.asarray(grid, dtype=np.float64).reshape(-1, 2) for grid in point_grids]
        if len(grids) < crop_n_layers + 1:
            raise ValueError(
                f"point_grids has {len(grids)} grids; crop_n_layers={crop_n_layers} needs "
                f"{crop_n_layers + 1} (one per layer, the whole image first)"
            )
        self.point_grids = grids
        self.predictor = SAM2ImagePredictor(
            model, max_hole_area=min_mask_region_area, max_sprinkle_area=min_mask_region_area
        )
        self.points_per_batch = points_per_batch
        self.pred_iou_thresh = pred_iou_thresh
        self.stability_score_thresh = stability_score_thresh
        self.stability_score_offset = stability_score_offset
        self.mask_threshold = mask_threshold
        self.box_nms_thresh = box_nms_thresh
        self.crop_n_layers = crop_n_layers
        self.crop_nms_thresh = crop_nms_thresh
        self.crop_overlap_ratio = crop_overlap_ratio
        self.crop_n_points_downscale_factor = crop_n_points_downscale_factor
        self.min_mask_region_area = min_mask_region_area
        self.output_mode = output_mode
        self.use_m2m = use_m2m
        self.multimask_output = multimask_output

    @classmethod
    def from_pretrained(cls, model_id: str, **kwargs: Any) -> SAM2AutomaticMaskGenerator:
        """Build from an official Hugging Face model id (``facebook/sam2.1-hiera-tiny``);
        generator arguments in ``kwargs`` go to this constructor, the rest to ``build_sam2``."""
        from sam2.build_sam import build_sam2_hf

        own = set(inspect.signature(cls.__init__).parameters) - {"self", "model", "kwargs"}
        mine = {key: value for key, value in kwargs.items() if key in own}
        build = {key: value for key, value in kwargs.items() if key not in own}
        return cls(build_sam2_hf(model_id, **build), **mine)

    # ------------------------------------------------------------------ public

    @torch.inference_mode()
    def generate(self, image: np.ndarray) -> list[dict[str, Any]]:
        """Masks of ``image`` (``[H, W, 3]`` uint8 RGB), as records with keys ``segmentation``
        (``[H, W]`` bool array, or an RLE dict per ``output_mode``), ``area`` (int), ``bbox``
        (XYWH floats), ``predicted_iou``, ``point_coords`` (``[[x, y]]``), ``stability_score``
        and ``crop_box`` (XYWH). Order: within a crop by predicted IoU (best first), then
        crops from smallest to largest when several crop layers overlap."""
        found = self._generate_candidates(image_to_array(image))
        boxes = xyxy_to_xywh(found.boxes.float().numpy())  # [N, 4]
        crops = xyxy_to_xywh(found.crop_boxes.float().numpy())
        iou_preds, stability = found.iou_preds.numpy(), found.stability.numpy()
        points = found.points.numpy()
        records = []
        for index, rle in enumerate(found.rles):
            records.append(
                {
                    "segmentation": self._encode(rle),
                    "area": rle_area(rle),
                    "bbox": boxes[index].tolist(),
                    "predicted_iou": iou_preds[index].item(),
                    "point_coords": [points[index].tolist()],
                    "stability_score": stability[index].item(),
                    "crop_box": crops[index].tolist(),
                }
            )
        return records

    def _encode(self, rle: dict) -> np.ndarray | dict:
        if self.output_mode == "binary_mask":
            return rle_to_mask(rle)
        if self.output_mode == "coco_rle":
            return coco_rle(rle)
        return plain_rle(rle)

    # ------------------------------------------------------------------ crops

    def _generate_candidates(self, image: np.ndarray) -> MaskCandidates:
        image_hw = image.shape[:2]
        boxes, layers = crop_boxes(image_hw, self.crop_n_layers, self.crop_overlap_ratio)
        found = MaskCandidates.concat(
            [
                self._crop_candidates(image, box, layer, image_hw)
                for box, layer in zip(boxes, layers, strict=True)
            ]
        )
        if len(boxes) > 1:
            # Across crops, prefer the mask from the smaller crop.
            crop = found.crop_boxes.float()
            crop_area = (crop[:, 2] - crop[:, 0]) * (crop[:, 3] - crop[:, 1])
            keep = box_nms(found.boxes.numpy(), (1.0 / crop_area).numpy(), self.crop_nms_thresh)
            found = found.take(keep)
        return found

    def _crop_candidates(
        self, image: np.ndarray, crop_box: list[int], layer: int, image_hw: tuple[int, int]
    ) -> MaskCandidates:
        x0, y0, x1, y1 = crop_box
        crop = image[y0:y1, x0:x1]
        crop_hw = crop.shape[:2]
        self.predictor.set_image(crop)
        scale = np.array(crop_hw, dtype=np.float64)[::-1]  # (w, h)
        points = torch.as_tensor(self.point_grids[layer] * scale, dtype=torch.float32)  # [P, 2]
        step = self.points_per_batch
        found = MaskCandidates.concat(
            [
                self._batch_candidates(points[start : start + step], crop_hw, crop_box, image_hw)
                for start in range(0, len(points), step)
            ]
        )
        self.predictor.reset_predictor()
        found = found.take(
            box_nms(found.boxes.numpy(), found.iou_preds.numpy(), self.box_nms_thresh)
        )
        offset = torch.tensor([x0, y0])
        found.boxes = found.boxes + offset.repeat(2)
        found.points = found.points + offset
        return found

    # ------------------------------------------------------------------ one batch of points

    def _batch_candidates(
        self,
        points: torch.Tensor,
        crop_hw: tuple[int, int],
        crop_box: list[int],
        image_hw: tuple[int, int],
    ) -> MaskCandidates:
        """Candidates from ``points [B, 2]`` (crop pixels): boxes and points still in crop
        pixels, RLEs already in the image frame."""
        device = self.predictor.device
        image_size = self.predictor.model.image_size
        coords = to_model_coords(points.to(device), image_size, crop_hw, True)
        coords = coords[:, None, :]  # [B, 2] -> [B, 1 point, 2]
        labels = torch.ones(coords.shape[:2], dtype=torch.int, device=device)  # [B, 1]
        low_res, iou_preds = self.predictor._decode(
            coords, labels, multimask_output=self.multimask_output
        )
        per_point = low_res.shape[1]
        low_res = low_res.flatten(0, 1)  # [B, C, h, w] -> [B*C, h, w]
        iou_preds = iou_preds.flatten(0, 1)  # [B, C] -> [B*C]
        points = points.repeat_interleave(per_point, dim=0)  # [B*C, 2]
        if self.use_m2m:
            low_res, iou_preds = self._refine(coords.repeat_interleave(per_point, dim=0), low_res)
        keep = torch.ones_like(iou_preds, dtype=torch.bool)
        if self.pred_iou_thresh > 0.0:
            keep = iou_preds > self.pred_iou_thresh
        chosen = torch.nonzero(keep).flatten().cpu()
        return self._full_resolution(
            low_res[chosen],
            iou_preds[chosen].float().cpu(),
            points[chosen],
            crop_hw,
            crop_box,
            image_hw,
        )

    def _refine(
        self, coords: torch.Tensor, low_res: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One more decoder pass, each mask given back with its point: ``coords [N, 1, 2]``,
        ``low_res [N, h, w]`` -> refined ``([N, h, w], iou [N])``."""
        prompts = low_res.clamp(-LOW_RES_CLAMP, LOW_RES_CLAMP)[:, None]  # [N, 1, h, w]
        labels = torch.ones(coords.shape[:2], dtype=torch.int, device=coords.device)
        refined, ious = [], []
        for start in range(0, len(coords), self.points_per_batch):
            part = slice(start, start + self.points_per_batch)
            masks, iou = self.predictor._decode(
                coords[part], labels[part], mask_input=prompts[part], multimask_output=False
            )
            refined.append(masks[:, 0])
            ious.append(iou[:, 0])
        return torch.cat(refined), torch.cat(ious)

    def _full_resolution(
        self,
        low_res: torch.Tensor,
        iou_preds: torch.Tensor,
        points: torch.Tensor,
        crop_hw: tuple[int, int],
        crop_box: list[int],
        image_hw: tuple[int, int],
    ) -> MaskCandidates:
        """Upsample ``low_res [N, h, w]`` logits to the crop a bounded chunk at a time; keep the
        stable masks not cut by the crop's inner edges; encode them."""
        height, width = image_hw
        chunk = max(1, UPSAMPLE_PIXELS // (crop_hw[0] * crop_hw[1]))
        parts = []
        for start in range(0, len(low_res), chunk):
            part = slice(start, start + chunk)
            logits = self.predictor._postprocess_masks(low_res[part, None], crop_hw)[:, 0]
            logits_np = logits.float().cpu().numpy()  # [k, H_crop, W_crop]
            stability = self._stability(logits_np)
            keep = np.ones(len(stability), dtype=bool)
            if self.stability_score_thresh > 0.0:
                keep = stability >= self.stability_score_thresh
            masks = (logits_np > self.mask_threshold)[keep]  # [k', H_crop, W_crop] bool
            del logits, logits_np
            boxes = torch.from_numpy(masks_to_boxes(masks))
            inside = ~near_crop_edge(boxes, crop_box, [0, 0, width, height]).numpy()
            masks = masks[inside]
            kept = torch.from_numpy(np.flatnonzero(keep)[inside])  # positions in this chunk
            parts.append(
                MaskCandidates(
                    rles=crop_masks_to_rles(masks, crop_box, image_hw),
                    boxes=boxes[inside],
                    iou_preds=iou_preds[part][kept],
                    stability=torch.from_numpy(stability[keep][inside]),
                    points=points[part][kept].cpu(),
                    crop_boxes=torch.tensor([crop_box], dtype=torch.int64).repeat(len(masks), 1),
                )
            )
        return MaskCandidates.concat(parts) if parts else MaskCandidates.empty()

    def _stability(self, logits: np.ndarray) -> np.ndarray:
        """``[k, H, W]`` logits -> ``[k]`` float32 IoU of the masks thresholded at
        ``mask_threshold`` plus and minus ``stability_score_offset`` (the first lies inside
        the second, so the IoU is a ratio of areas)."""
        flat = logits.reshape(len(logits), -1)  # [k, H, W] -> [k, H*W]
        inner = np.count_nonzero(flat > self.mask_threshold + self.stability_score_offset, axis=1)
        outer = np.count_nonzero(flat > self.mask_threshold - self.stability_score_offset, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # an empty mask: NaN, as upstream
            return inner.astype(np.float32) / outer.astype(np.float32)
