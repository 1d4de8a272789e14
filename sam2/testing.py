"""Seeded random weights for tests and benchmarks (no downloads).

Default PyTorch initialisation gives a SAM 2 whose masks are nearly constant. These weights are
scaled so that activations keep a healthy spread through every block: masks come out neither
empty nor full, IoU and object scores vary, and the object is predicted present.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import cast

import torch
from torch import nn

from sam2.configs import SAM2Config
from sam2.modeling.hiera import MultiScaleBlock
from sam2.modeling.layers import MLP, LayerNorm2d
from sam2.modeling.memory_encoder import CXBlock
from sam2.modeling.sam2_base import SAM2Base


@torch.no_grad()
def randomize_(model: SAM2Base, seed: int = 0) -> SAM2Base:
    """Overwrite every parameter and buffer of ``model`` in place from a seeded generator.

    Works on models whose storage was never initialised (``to_empty``): every tensor is written.
    """
    generator = torch.Generator().manual_seed(seed)

    def normal(tensor: torch.Tensor, mean: float, std: float) -> None:
        tensor.normal_(mean, std, generator=generator)

    written: set[int] = set()
    for module in model.modules():
        own = dict(module.named_parameters(recurse=False))
        if isinstance(module, (nn.LayerNorm, LayerNorm2d)):
            normal(own["weight"], 1.0, 0.1)
            normal(own["bias"], 0.0, 0.05)
        elif isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            weight = own["weight"]
            # A stride-equals-kernel transposed conv feeds each output pixel from one input pixel.
            transposed = isinstance(module, nn.ConvTranspose2d)
            fan_in = weight.shape[0] if transposed else weight[0].numel()
            normal(weight, 0.0, 1.0 / math.sqrt(fan_in))
            if "bias" in own:
                normal(own["bias"], 0.0, 0.02)
        elif isinstance(module, nn.Embedding):
            normal(own["weight"], 0.0, 1.0)
        elif isinstance(module, CXBlock):
            normal(own["gamma"], 0.3, 0.05)
        else:
            # Free-standing embeddings (memory tokens, trunk position embeddings).
            for parameter in own.values():
                normal(parameter, 0.0, 0.1)
        written.update(id(p) for p in own.values())
    missing = [name for name, p in model.named_parameters() if id(p) not in written]
    if missing:
        raise RuntimeError(f"randomize_ left parameters unset: {missing}")
    # Residual branches of the trunk shrink with depth (GPT-2 style), so deep trunks (large)
    # keep spatially varied features instead of drifting towards all-on masks.
    # ``nn.ModuleList`` is untyped: the trunk holds MultiScaleBlocks, an MLP holds Linears.
    blocks = cast("list[MultiScaleBlock]", list(model.image_encoder.trunk.blocks))
    for block in blocks:
        block.attn.proj.weight.mul_(len(blocks) ** -0.5)
        cast(nn.Linear, block.mlp.layers[-1]).weight.mul_(len(blocks) ** -0.5)
    normal(model.sam_prompt_encoder.pe_layer.positional_encoding_gaussian_matrix, 0.0, 1.0)
    if model.pred_obj_scores:
        # Bias the object-score head so objects are predicted present (positive logits).
        head = model.sam_mask_decoder.pred_obj_score_head
        final = cast(nn.Linear, head.layers[-1]) if isinstance(head, MLP) else head
        final.bias.fill_(2.0)
    return model


def random_state_dict(config: SAM2Config | str, seed: int = 0) -> dict[str, torch.Tensor]:
    """A complete official-layout state dict with seeded random values for ``config``.

    Results are cached per (model, seed); the returned dict is a fresh copy whose tensors are
    shared, so callers may add or drop keys but must not write into the tensors.
    """
    if isinstance(config, str):
        config = SAM2Config.from_name(config)
    return dict(_cached_state_dict(config, seed))


@functools.lru_cache(maxsize=2)
def _cached_state_dict(config: SAM2Config, seed: int) -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        model = SAM2Base(config)
    # Skip default initialisation: every tensor is overwritten anyway.
    return randomize_(model.to_empty(device="cpu"), seed).state_dict()


def confident_state_dict(
    config: SAM2Config | str, seed: int = 0, iou_logit: float = 4.0, mask_gain: float = 20.0
) -> dict[str, torch.Tensor]:
    """:func:`random_state_dict` with a decoder sure of itself: the IoU head's output is shifted
    by ``iou_logit`` (predicted IoU near 0.98) and the mask logits are scaled by ``mask_gain``
    (sharp, stable masks), so automatic masks pass the official default thresholds."""
    state = random_state_dict(config, seed)
    head = "sam_mask_decoder.iou_prediction_head.layers.2.bias"
    state[head] = state[head] + iou_logit
    for key in list(state):
        if key.startswith("sam_mask_decoder.output_hypernetworks_mlps.") and ".layers.2." in key:
            state[key] = state[key] * mask_gain
    return state


def write_random_checkpoint(
    path: str | Path, config: SAM2Config | str, seed: int = 0, confident: bool = False
) -> Path:
    """Save ``{"model": random_state_dict(config, seed)}`` (or :func:`confident_state_dict`
    with ``confident``) to ``path`` (official layout)."""
    path = Path(path)
    make = confident_state_dict if confident else random_state_dict
    torch.save({"model": make(config, seed)}, path)
    return path
