"""Turning RGB images into model input, and prompt coordinates into the model's input frame.

The resize reproduces torchvision's ``Resize((S, S))`` on tensors (bilinear with antialias)
exactly, without torchvision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class RGBConvertible(Protocol):
    """A PIL-like image: ``convert("RGB")`` gives something ``np.asarray`` makes ``[H, W, 3]``."""

    def convert(self, mode: str) -> object: ...


def image_to_array(image: np.ndarray | RGBConvertible) -> np.ndarray:
    """An ``[H, W, 3]`` array from a numpy RGB image or a PIL-like image (anything with
    ``convert("RGB")``); raises ValueError for other shapes or types."""
    if not isinstance(image, np.ndarray) and hasattr(image, "convert"):
        image = np.asarray(image.convert("RGB"))
    if not isinstance(image, np.ndarray):
        raise ValueError(
            f"expected an RGB image as a numpy array or PIL image, got {type(image).__name__}"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image of shape [H, W, 3], got {list(image.shape)}")
    if image.dtype != np.uint8 and not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"expected a uint8 (0..255) or float (0..1) image, got {image.dtype}")
    return image


def prepare_images(images: Sequence[np.ndarray], size: int, device: torch.device) -> torch.Tensor:
    """Resize to ``size x size`` and normalise: ``B x [H_i, W_i, 3]`` -> ``[B, 3, size, size]``."""
    batch = []
    for image in images:
        pixels = torch.from_numpy(np.ascontiguousarray(image)).to(device)
        pixels = pixels.permute(2, 0, 1).unsqueeze(0)  # [H, W, 3] -> [1, 3, H, W]
        pixels = pixels.float() / 255.0 if pixels.dtype == torch.uint8 else pixels.float()
        batch.append(
            F.interpolate(
                pixels, (size, size), mode="bilinear", align_corners=False, antialias=True
            )
        )
    stacked = torch.cat(batch)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    return (stacked - mean) / std


def to_model_coords(
    coords: torch.Tensor, size: int, orig_hw: tuple[int, int], normalize: bool
) -> torch.Tensor:
    """``[..., 2]`` (x, y) coordinates -> pixels of the ``size x size`` model input.

    With ``normalize`` the input is in pixels of an image of ``orig_hw``; otherwise it is
    already normalised to [0, 1].
    """
    if normalize:
        h, w = orig_hw
        coords = torch.stack([coords[..., 0] / w, coords[..., 1] / h], dim=-1)
    return coords * size
