"""The official entry points: ``build_sam2``, ``build_sam2_video_predictor`` and their
Hugging Face variants ``build_sam2_hf`` / ``build_sam2_video_predictor_hf``.

Config names in every official form map to the typed table in :mod:`sam2.configs`; Hydra is not
used. Overrides come as official ``"++model.<field>=<value>"`` strings and/or keyword arguments;
they are applied after the post-processing defaults, so an explicit override always wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from sam2.checkpoint import load_checkpoint
from sam2.configs import ConfigError, SAM2Config
from sam2.modeling.sam2_base import SAM2Base

if TYPE_CHECKING:
    from sam2.sam2_video_predictor import SAM2VideoPredictor

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


def _finish(model: SAM2Base, ckpt_path: str | Path | None, device, mode: str) -> SAM2Base:
    if mode not in ("eval", "train"):
        raise ConfigError(f"mode must be 'eval' or 'train', got {mode!r}")
    if ckpt_path is not None:
        load_checkpoint(model, ckpt_path)
    model = model.to(default_device() if device is None else torch.device(device))
    model.train(mode == "train")
    return model


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
    return _finish(SAM2Base(config), ckpt_path, device, mode)


def build_sam2_video_predictor(
    config_file: str,
    ckpt_path: str | Path | None = None,
    device: str | torch.device | None = None,
    mode: str = "eval",
    hydra_overrides_extra: Iterable[str] = (),
    apply_postprocessing: bool = True,
    vos_optimized: bool = False,
    **kwargs: Any,
) -> SAM2VideoPredictor:
    """Build the video predictor for ``config_file`` and load ``ckpt_path`` (strict) if given.

    ``apply_postprocessing`` also binarizes clicked masks for the memory encoder and fills
    holes up to 8 pixels, as the official builder does; ``vos_optimized`` compiles the image
    encoder with ``torch.compile``.
    """
    from sam2.sam2_video_predictor import SAM2VideoPredictor

    defaults = dict(VIDEO_POSTPROCESSING) if apply_postprocessing else {}
    if vos_optimized:
        defaults["compile_image_encoder"] = True
    config = build_config(config_file, hydra_overrides_extra, defaults, **kwargs)
    return _finish(SAM2VideoPredictor(config), ckpt_path, device, mode)


def hf_checkpoint(model_id: str) -> tuple[str, str]:
    """``(config name, local checkpoint path)`` for a Hugging Face id such as
    ``facebook/sam2.1-hiera-tiny``, downloaded with ``huggingface_hub`` (an optional dependency,
    as for the official package)."""
    from sam2.configs import OFFICIAL_CONFIG_FILES, canonical_name

    name = canonical_name(model_id)
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as error:
        raise ImportError(
            "loading from Hugging Face needs huggingface_hub: pip install huggingface_hub"
        ) from error
    return OFFICIAL_CONFIG_FILES[name], hf_hub_download(repo_id=model_id, filename=f"{name}.pt")


def build_sam2_hf(model_id: str, **kwargs: Any) -> SAM2Base:
    """:func:`build_sam2` on the checkpoint of Hugging Face model ``model_id``."""
    config_name, ckpt_path = hf_checkpoint(model_id)
    return build_sam2(config_name, ckpt_path=ckpt_path, **kwargs)


def build_sam2_video_predictor_hf(model_id: str, **kwargs: Any) -> SAM2VideoPredictor:
    """:func:`build_sam2_video_predictor` on the checkpoint of Hugging Face model ``model_id``."""
    config_name, ckpt_path = hf_checkpoint(model_id)
    return build_sam2_video_predictor(config_name, ckpt_path=ckpt_path, **kwargs)
