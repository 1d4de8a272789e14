"""The official entry points: ``build_sam2``, ``build_sam2_video_predictor`` and their
Hugging Face variants ``build_sam2_hf`` / ``build_sam2_video_predictor_hf``.

Config names in every official form map to the typed table in :mod:`sam2.configs`; Hydra is not
used. Overrides come as official ``"++model.<field>=<value>"`` strings and/or keyword arguments;
they are applied after the post-processing defaults, so an explicit override always wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from sam2.model_building import (
    IMAGE_POSTPROCESSING,
    VIDEO_POSTPROCESSING,
    build_config,
    default_device,
    finish,
    hf_checkpoint,
)
from sam2.modeling.sam2_base import SAM2Base
from sam2.sam2_video_predictor import build_sam2_video_predictor, build_sam2_video_predictor_hf

__all__ = [
    "IMAGE_POSTPROCESSING",
    "VIDEO_POSTPROCESSING",
    "build_config",
    "build_sam2",
    "build_sam2_hf",
    "build_sam2_video_predictor",
    "build_sam2_video_predictor_hf",
    "default_device",
]


def build_sam2(
    config_file: str,
    ckpt_path: str | Path | None = None,
    device: str | torch.device | None = None,
    mode: str = "eval",
    hydra_overrides_extra: Iterable[str] = (),
    apply_postprocessing: bool = True,
    **kwargs: Any,
) -> SAM2Base:
    """Build the image model for ``config_file`` and load ``ckpt_path`` (strict) if given.

    ``device=None`` picks cuda, then mps, then cpu. ``apply_postprocessing`` enables the
    decoder's dynamic multimask fallback, as the official builder does. ``kwargs`` set
    :class:`~sam2.configs.SAM2Config` fields (e.g. ``image_size=512``).
    """
    config = build_config(
        config_file,
        hydra_overrides_extra,
        IMAGE_POSTPROCESSING if apply_postprocessing else None,
        **kwargs,
    )
    return finish(SAM2Base(config), ckpt_path, device, mode)


def build_sam2_hf(model_id: str, **kwargs: Any) -> SAM2Base:
    """:func:`build_sam2` on the checkpoint of Hugging Face model ``model_id``."""
    config_name, ckpt_path = hf_checkpoint(model_id)
    return build_sam2(config_name, ckpt_path=ckpt_path, **kwargs)
