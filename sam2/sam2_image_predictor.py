"""SAM2ImagePredictor: embed an image once, then predict masks for many prompts.

Same surface, shapes and dtypes as the official predictor::

    predictor = SAM2ImagePredictor(build_sam2("sam2_hiera_l.yaml", "sam2_hiera_large.pt"))
    predictor.set_image(rgb)                                  # [H, W, 3] uint8 or PIL image
    masks, ious, low_res = predictor.predict(point_coords=[[x, y]], point_labels=[1])
    # masks [3, H, W] float32 0/1, ious [3] float32, low_res [3, 256, 256] float32 logits

Unlike the official package, hole filling and sprinkle removal run on every device.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from sam2.image_transforms import (
    RGBConvertible,
    image_to_array,
    prepare_images,
    to_model_coords,
)
from sam2.modeling.sam2_base import SAM2Base
from sam2.postprocess import small_regions

_PREDICTOR_ARGS = ("mask_threshold", "max_hole_area", "max_sprinkle_area")

ArrayLike = np.ndarray | Sequence | torch.Tensor


class SAM2ImagePredictor:
    """Interactive mask prediction on still images with a :class:`SAM2Base` model.

    ``mask_threshold`` binarises logits; ``max_hole_area`` / ``max_sprinkle_area`` (pixels of
    the 4x-downsampled logits) fill small background holes and remove small foreground specks
    before upsampling.
    """

    def __init__(
        self,
        sam_model: SAM2Base,
        mask_threshold: float = 0.0,
        max_hole_area: float = 0.0,
        max_sprinkle_area: float = 0.0,
        **kwargs: Any,
    ) -> None:
        # ``kwargs``: accepted and unused, as by the official predictor (from_pretrained passes
        # its builder arguments on).
        self.model = sam_model
        self.mask_threshold = mask_threshold
        self.max_hole_area = max_hole_area
        self.max_sprinkle_area = max_sprinkle_area
        self.reset_predictor()

    @classmethod
    def from_pretrained(cls, model_id: str, **kwargs: Any) -> SAM2ImagePredictor:
        """A predictor on Hugging Face model ``model_id`` (e.g. ``facebook/sam2.1-hiera-tiny``):
        ``mask_threshold``, ``max_hole_area`` and ``max_sprinkle_area`` go to the predictor, the
        other ``kwargs`` to :func:`~sam2.build_sam.build_sam2_hf`."""
        from sam2.build_sam import build_sam2_hf

        own = {key: kwargs.pop(key) for key in _PREDICTOR_ARGS if key in kwargs}
        return cls(build_sam2_hf(model_id, **kwargs), **own)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def reset_predictor(self) -> None:
        """Forget the current image(s) and their embeddings."""
        self._is_image_set = False
        self._features: dict | None = None
        self._orig_hw: list[tuple[int, int]] | None = None
        self._is_batch = False

    # ------------------------------------------------------------------ embedding

    @torch.inference_mode()
    def _embed(self, images: list[np.ndarray]) -> None:
        model = self.model
        batch = prepare_images(images, model.image_size, self.device)
        fpn = model.forward_image(batch)["backbone_fpn"]
        image_embed = fpn[-1]
        if model.directly_add_no_mem_embed:
            # Still images are "first frames": the no-memory embedding is added, as in training.
            image_embed = image_embed + model.no_mem_embed.view(1, -1, 1, 1)
        self._features = {
            "image_embed": image_embed,  # [B, C, S/16, S/16]
            "high_res_feats": list(fpn[-model.num_feature_levels : -1]),  # [B, 32|64, ...]
        }
        self._orig_hw = [tuple(image.shape[:2]) for image in images]
        self._is_image_set = True

    def set_image(self, image: np.ndarray | RGBConvertible) -> None:
        """Embed one RGB image: ``[H, W, 3]`` uint8 numpy array or a PIL image."""
        self.reset_predictor()
        self._embed([image_to_array(image)])

    def set_image_batch(self, image_list: list[np.ndarray]) -> None:
        """Embed several RGB images (``[H_i, W_i, 3]`` uint8 arrays) for :meth:`predict_batch`."""
        self.reset_predictor()
        if not isinstance(image_list, (list, tuple)) or not image_list:
            raise ValueError("set_image_batch expects a non-empty list of [H, W, 3] RGB arrays")
        arrays = []
        for image in image_list:
            if not isinstance(image, np.ndarray):
                raise ValueError("set_image_batch expects numpy [H, W, 3] RGB arrays")
            arrays.append(image_to_array(image))
        self._embed(arrays)
        self._is_batch = True

    def get_image_embedding(self) -> torch.Tensor:
        """The current image embedding ``[B, C, S/16, S/16]`` (``[1, 256, 64, 64]`` at 1024)."""
        self._require_image("get an embedding")
        return self._embeddings()["image_embed"]

    def image_state(self) -> tuple[dict, list[tuple[int, int]]]:
        """The current single image's embedding and size, to cache and :meth:`restore_image_state`
        later (an interactive tool keeps one per frame so re-clicking costs only the decoder)."""
        self._require_image("save its embedding")
        if self._is_batch or self._features is None or self._orig_hw is None:
            raise RuntimeError("image_state holds one image; use set_image, not set_image_batch")
        return self._features, list(self._orig_hw)

    def restore_image_state(self, state: tuple[dict, list[tuple[int, int]]]) -> None:
        """Make an image embedded earlier (from :meth:`image_state`) current again."""
        self.reset_predictor()
        self._features, self._orig_hw = state[0], list(state[1])
        self._is_image_set = True

    def _require_image(self, action: str) -> None:
        if not self._is_image_set:
            raise RuntimeError(f"{_NO_IMAGE} before you {action}")

    def _embeddings(self) -> dict:
        """The current images' ``image_embed [B, C, S/16, S/16]`` and ``high_res_feats``."""
        if self._features is None:
            raise RuntimeError(f"no image is set: {_NO_IMAGE}")
        return self._features

    def _image_sizes(self) -> list[tuple[int, int]]:
        """``(H, W)`` of each current image."""
        if self._orig_hw is None:
            raise RuntimeError(f"no image is set: {_NO_IMAGE}")
        return self._orig_hw

    # ------------------------------------------------------------------ prediction

    def predict(
        self,
        point_coords: ArrayLike | None = None,
        point_labels: ArrayLike | None = None,
        box: ArrayLike | None = None,
        mask_input: ArrayLike | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
        normalize_coords: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Masks for prompts on the image set with :meth:`set_image`.

        ``point_coords [N, 2]`` (x, y) pixels (or ``[B, N, 2]`` for B prompt sets),
        ``point_labels [N]`` (1 foreground, 0 background), ``box [4]`` or ``[B, 4]`` xyxy,
        ``mask_input [1, 256, 256]`` low-res logits from a previous call.

        Returns ``(masks [C, H, W], iou_predictions [C], low_res_logits [C, 256, 256])`` with
        ``C = 3`` for multimask output, else 1 (a leading ``B`` when several prompt sets are
        given); masks are float32 0/1 unless ``return_logits`` (then float32 logits).
        """
        self._require_image("predict")
        return self._predict_numpy(
            -1,  # the last image set, as in the official predictor
            point_coords,
            point_labels,
            box,
            mask_input,
            multimask_output,
            return_logits,
            normalize_coords,
        )

    def predict_best(
        self,
        point_coords: ArrayLike | None = None,
        point_labels: ArrayLike | None = None,
        box: ArrayLike | None = None,
        mask_input: ArrayLike | None = None,
        multimask_output: bool = True,
        normalize_coords: bool = True,
    ) -> tuple[np.ndarray, float, np.ndarray]:
        """The highest-IoU mask of :meth:`predict` for one prompt set, resizing only that one
        to the image (an interactive click costs the decoder and one resize, not ``C``).

        Returns ``(mask [H, W] bool, predicted IoU, low_res_logits [256, 256] float32)``, equal
        to ``predict``'s ``masks[best]``, ``ious[best]`` and ``low_res[best]``.
        """
        self._require_image("predict")
        mask_input, coords, labels, boxes = self._prep_prompts(
            point_coords, point_labels, box, mask_input, normalize_coords
        )
        with torch.inference_mode():
            low_res, ious = self._decode(coords, labels, boxes, mask_input, multimask_output)
            if low_res.shape[0] != 1:
                raise ValueError("predict_best takes one prompt set; use predict for several")
            best = int(torch.argmax(ious[0]))
            chosen = low_res[:, best : best + 1]  # [1, 1, 4h, 4w]
            assert self._orig_hw is not None  # set with the image (checked above)
            mask = self._postprocess_masks(chosen, self._orig_hw[-1]) > self.mask_threshold
            low = torch.clamp(chosen, -32.0, 32.0)
        return (mask[0, 0].cpu().numpy(), float(ious[0, best]),
                low[0, 0].float().cpu().numpy())  # fmt: skip

    def predict_batch(
        self,
        point_coords_batch: Sequence[ArrayLike] | None = None,
        point_labels_batch: Sequence[ArrayLike] | None = None,
        box_batch: Sequence[ArrayLike] | None = None,
        mask_input_batch: Sequence[ArrayLike] | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
        normalize_coords: bool = True,
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """:meth:`predict` for each image given to :meth:`set_image_batch`; the i-th entry of
        every ``*_batch`` list prompts the i-th image. Returns three lists of arrays."""
        self._require_image("predict")
        if not self._is_batch:
            raise RuntimeError("predict_batch needs images set with set_image_batch(...)")
        results: tuple[list, list, list] = ([], [], [])
        for index in range(len(self._image_sizes())):
            outputs = self._predict_numpy(
                index,
                None if point_coords_batch is None else point_coords_batch[index],
                None if point_labels_batch is None else point_labels_batch[index],
                None if box_batch is None else box_batch[index],
                None if mask_input_batch is None else mask_input_batch[index],
                multimask_output,
                return_logits,
                normalize_coords,
            )
            for collected, output in zip(results, outputs, strict=True):
                collected.append(output)
        return results

    def _predict_numpy(
        self,
        img_idx: int,
        point_coords: ArrayLike | None,
        point_labels: ArrayLike | None,
        box: ArrayLike | None,
        mask_input: ArrayLike | None,
        multimask_output: bool,
        return_logits: bool,
        normalize_coords: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mask_input, coords, labels, boxes = self._prep_prompts(
            point_coords, point_labels, box, mask_input, normalize_coords, img_idx
        )
        masks, ious, low_res = self._predict(
            coords, labels, boxes, mask_input, multimask_output, return_logits, img_idx
        )
        return _unbatched(masks), _unbatched(ious), _unbatched(low_res)

    def _prep_prompts(
        self,
        point_coords: ArrayLike | None,
        point_labels: ArrayLike | None,
        box: ArrayLike | None,
        mask_logits: ArrayLike | None,
        normalize_coords: bool,
        img_idx: int = -1,
    ) -> tuple[torch.Tensor | None, ...]:
        """Prompts as tensors in the model's input frame: ``(mask_input [B, 1, 256, 256],
        coords [B, N, 2], labels [B, N], boxes [B, 2, 2])`` (each None when not given)."""
        device, size, orig_hw = self.device, self.model.image_size, self._image_sizes()[img_idx]
        coords = labels = boxes = mask_input = None
        if point_coords is not None:
            if point_labels is None:
                raise ValueError("point_labels must be given with point_coords")
            coords = torch.as_tensor(np.asarray(point_coords), dtype=torch.float, device=device)
            labels = torch.as_tensor(np.asarray(point_labels), dtype=torch.int, device=device)
            if coords.shape[-1] != 2 or coords.shape[:-1] != labels.shape:
                raise ValueError(
                    f"point_coords must be [N, 2] with point_labels [N]; got "
                    f"{list(coords.shape)} and {list(labels.shape)}"
                )
            coords = to_model_coords(coords, size, orig_hw, normalize_coords)
            if coords.dim() == 2:
                coords, labels = coords[None], labels[None]
        if box is not None:
            box = torch.as_tensor(np.asarray(box), dtype=torch.float, device=device)
            if box.shape[-1] != 4:
                raise ValueError(
                    f"box must be [4] or [B, 4] (x0, y0, x1, y1), got {list(box.shape)}"
                )
            # [..., 4] -> [B, 2 corners, (x, y)]
            boxes = to_model_coords(box.reshape(-1, 2, 2), size, orig_hw, normalize_coords)
        if mask_logits is not None:
            mask_input = torch.as_tensor(np.asarray(mask_logits), dtype=torch.float, device=device)
            if mask_input.dim() == 3:
                mask_input = mask_input[None]
        return mask_input, coords, labels, boxes

    @torch.inference_mode()
    def _predict(
        self,
        point_coords: torch.Tensor | None,
        point_labels: torch.Tensor | None,
        boxes: torch.Tensor | None = None,
        mask_input: torch.Tensor | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
        img_idx: int = -1,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Tensor-level prediction: prompts already in the model frame (see :meth:`_prep_prompts`).

        Returns ``(masks [B, C, H, W], iou_predictions [B, C], low_res_logits [B, C, 4h, 4w])``.
        """
        low_res, iou_predictions = self._decode(
            point_coords, point_labels, boxes, mask_input, multimask_output, img_idx
        )
        masks = self._postprocess_masks(low_res, self._image_sizes()[img_idx])
        low_res = torch.clamp(low_res, -32.0, 32.0)
        if not return_logits:
            masks = masks > self.mask_threshold
        return masks, iou_predictions, low_res

    @torch.inference_mode()
    def _decode(
        self,
        point_coords: torch.Tensor | None,
        point_labels: torch.Tensor | None,
        boxes: torch.Tensor | None = None,
        mask_input: torch.Tensor | None = None,
        multimask_output: bool = True,
        img_idx: int = -1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompt encoder + mask decoder for ``B`` prompt sets on one image's embedding (prompts
        in the model frame). Returns raw ``(low_res_logits [B, C, 4h, 4w], iou_predictions
        [B, C])``: no post-processing, no upsampling, no clamping."""
        points = None
        if point_coords is not None:
            if point_labels is None:
                raise ValueError("point_labels must be given with point_coords")
            points = (point_coords, point_labels)
        if boxes is not None:
            # Box corners become labelled points (2 top-left, 3 bottom-right) placed first.
            corner_labels = torch.tensor([[2, 3]], dtype=torch.int, device=boxes.device)
            corner_labels = corner_labels.repeat(boxes.size(0), 1)
            if points is not None:
                points = (
                    torch.cat([boxes, points[0]], dim=1),
                    torch.cat([corner_labels, points[1]], dim=1),
                )
            else:
                points = (boxes, corner_labels)
        several_prompts = points is not None and points[0].shape[0] > 1
        features = self._embeddings()
        high_res = [level[img_idx].unsqueeze(0) for level in features["high_res_feats"]]
        image_embed = features["image_embed"][img_idx].unsqueeze(0)  # [1, C, h, w]
        low_res, iou_predictions, _, _ = self.model.decode_prompts(
            image_embed, points, mask_input, high_res, multimask_output, several_prompts
        )
        return low_res, iou_predictions

    def _postprocess_masks(self, low_res: torch.Tensor, orig_hw: tuple[int, int]) -> torch.Tensor:
        """Fill holes, remove sprinkles in ``[B, C, 4h, 4w]`` logits; resize them to ``orig_hw``."""
        logits = low_res.float()
        masks = logits
        threshold = self.mask_threshold
        # Both region sets come from the raw logits, so a filled hole never joins a speck.
        if self.max_hole_area > 0:
            holes = small_regions(logits <= threshold, self.max_hole_area)
            masks = torch.where(holes, threshold + 10.0, masks)
        if self.max_sprinkle_area > 0:
            sprinkles = small_regions(logits > threshold, self.max_sprinkle_area)
            masks = torch.where(sprinkles, threshold - 10.0, masks)
        return torch.nn.functional.interpolate(masks, orig_hw, mode="bilinear", align_corners=False)


_NO_IMAGE = "call set_image(...) or set_image_batch(...)"


def _unbatched(t: torch.Tensor) -> np.ndarray:
    """``[1, ...]`` -> ``[...]`` as a float array on the CPU."""
    return t.squeeze(0).float().cpu().numpy()
