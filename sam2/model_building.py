"""How the builders make a model: post-processing defaults, overrides, checkpoint, device, mode,
and where Hugging Face checkpoints come from. :mod:`sam2.build_sam` exports the official entry
points (the video ones are defined beside :class:`~sam2.sam2_video_predictor.SAM2VideoPredictor`,
whose ``from_pretrained`` uses them without an import cycle)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import torch

from sam2.checkpoint import load_checkpoint
from sam2.configs import OFFICIAL_CONFIG_FILES, ConfigError, SAM2Config, canonical_name
from sam2.modeling.sam2_base import SAM2Base

M = TypeVar("M", bound=SAM2Base)

# What the official builders switch on with ``apply_postprocessing=True``.
IMAGE_POSTPROCESSING: dict[str, Any] = {
    "dynamic_multimask_via_stability": True,
    "dynamic_multimask_stability_delta": 0.05,
    "dynamic_multimask_stability_thresh": 0.98,
}
VIDEO_POSTPROCESSING: dict[str, Any] = {
    **IMAGE_POSTPROCESSING,
    "binarize_mask_from_pts_for_mem_enc": True,
    "fill_hole_area": 8,
}


def default_device() -> torch.device:
    """CUDA if available, then Apple MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def build_config(
    config_file: str,
    hydra_overrides_extra: Iterable[str] = (),
    postprocessing: dict[str, Any] | None = None,
    **overrides: Any,
) -> SAM2Config:
    """The table config for ``config_file`` with ``postprocessing`` defaults, then the
    ``"++model.<field>=<value>"`` strings, then keyword overrides applied."""
    config = SAM2Config.from_name(config_file, **(postprocessing or {}))
    return config.with_overrides(tuple(hydra_overrides_extra), **overrides)


def finish(
    model: M, ckpt_path: str | Path | None, device: str | torch.device | None, mode: str
) -> M:
    """Load ``ckpt_path`` (strict) into ``model``, move it to ``device`` (``None``: see
    :func:`default_device`) and set ``mode`` (``"eval"`` or ``"train"``)."""
    if mode not in ("eval", "train"):
        raise ConfigError(f"mode must be 'eval' or 'train', got {mode!r}")
    if ckpt_path is not None:
        load_checkpoint(model, ckpt_path)
    model = model.to(default_device() if device is None else torch.device(device))
    model.train(mode == "train")
    return model


def hf_checkpoint(model_id: str) -> tuple[str, str]:
    """``(config name, local checkpoint path)`` for a Hugging Face id such as
    ``facebook/sam2.1-hiera-tiny``, downloaded with ``huggingface_hub`` (an optional dependency,
    as for the official package)."""
    name = canonical_name(model_id)
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as error:
        raise ImportError(
            "loading from Hugging Face needs huggingface_hub: pip install huggingface_hub"
        ) from error
    return OFFICIAL_CONFIG_FILES[name], hf_hub_download(repo_id=model_id, filename=f"{name}.pt")
