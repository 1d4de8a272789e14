"""The official builders: post-processing defaults, override order, device choice, errors."""

from __future__ import annotations

import pytest
import torch

from sam2.build_sam import (
    IMAGE_POSTPROCESSING,
    VIDEO_POSTPROCESSING,
    build_config,
    build_sam2,
    default_device,
)
from sam2.configs import ConfigError


def test_image_postprocessing_turns_on_dynamic_multimask() -> None:
    config = build_config("sam2_hiera_t.yaml", postprocessing=IMAGE_POSTPROCESSING)
    assert config.dynamic_multimask_via_stability is True
    assert (
        config.dynamic_multimask_stability_delta,
        config.dynamic_multimask_stability_thresh,
    ) == (
        0.05,
        0.98,
    )
    assert build_config("sam2_hiera_t.yaml").dynamic_multimask_via_stability is False


def test_video_postprocessing_defaults_and_explicit_overrides_win() -> None:
    config = build_config(
        "configs/sam2.1/sam2.1_hiera_t.yaml",
        ["++model.fill_hole_area=0"],
        VIDEO_POSTPROCESSING,
        non_overlap_masks=True,
    )
    assert config.binarize_mask_from_pts_for_mem_enc is True
    assert config.dynamic_multimask_via_stability is True
    assert config.fill_hole_area == 0  # the explicit override beats the default of 8
    assert config.non_overlap_masks is True
    assert build_config("sam2.1_hiera_t.yaml", (), VIDEO_POSTPROCESSING).fill_hole_area == 8


def test_build_sam2_applies_overrides_to_the_model() -> None:
    model = build_sam2(
        "sam2.1-tiny", device="cpu", hydra_overrides_extra=["++model.image_size=512"]
    )
    assert model.image_size == 512
    assert model.sam_prompt_encoder.mask_input_size == (128, 128)
    assert model.sam_mask_decoder.dynamic_multimask_via_stability is True
    assert model.device == torch.device("cpu")
    assert not model.training
    unprocessed = build_sam2("sam2.1-tiny", device="cpu", apply_postprocessing=False, mode="train")
    assert unprocessed.sam_mask_decoder.dynamic_multimask_via_stability is False
    assert unprocessed.training


def test_default_device_prefers_cuda_then_mps_then_cpu(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert default_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device() == torch.device("cuda")


def test_bad_mode_and_unknown_override() -> None:
    with pytest.raises(ConfigError, match="mode must be 'eval' or 'train'"):
        build_sam2("sam2_hiera_t.yaml", device="cpu", mode="predict")
    with pytest.raises(ConfigError, match="unknown SAM2Config field"):
        build_sam2("sam2_hiera_t.yaml", device="cpu", colour="red")
