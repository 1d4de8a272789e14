"""Official state-dict layout for all eight models, checkpoint identification and load errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from sam2.build_sam import build_sam2
from sam2.checkpoint import (
    CheckpointError,
    identify_checkpoint,
    load_checkpoint,
    read_state_dict,
)
from sam2.configs import MODEL_NAMES, MODELS
from sam2.modeling.sam2_base import SAM2Base
from sam2.testing import random_state_dict, write_random_checkpoint

# (key count, parameter count) of the official modules, measured on sam2==1.1.0 (FACTS.md:
# 468/471 keys and 38.9M/39.0M parameters for tiny, and so on).
OFFICIAL_SIZES = {
    "sam2_hiera_tiny": (468, 38_945_986),
    "sam2_hiera_small": (516, 46_043_842),
    "sam2_hiera_base_plus": (612, 80_833_666),
    "sam2_hiera_large": (900, 224_430_130),
    "sam2.1_hiera_tiny": (471, 38_962_498),
    "sam2.1_hiera_small": (519, 46_060_354),
    "sam2.1_hiera_base_plus": (615, 80_850_178),
    "sam2.1_hiera_large": (903, 224_446_642),
}
SAM21_EXTRA_KEYS = {"no_obj_embed_spatial", "obj_ptr_tpos_proj.weight", "obj_ptr_tpos_proj.bias"}


def _meta_model(name: str) -> SAM2Base:
    with torch.device("meta"):
        return SAM2Base(MODELS[name])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_key_and_parameter_counts_match_the_official_model(name: str) -> None:
    model = _meta_model(name)
    keys, params = OFFICIAL_SIZES[name]
    assert len(model.state_dict()) == keys
    assert sum(p.numel() for p in model.parameters()) == params


@pytest.mark.parametrize("size", ["tiny", "small", "base_plus", "large"])
def test_sam21_adds_exactly_three_keys(size: str) -> None:
    old = set(_meta_model(f"sam2_hiera_{size}").state_dict())
    new = set(_meta_model(f"sam2.1_hiera_{size}").state_dict())
    assert new - old == SAM21_EXTRA_KEYS
    assert old <= new


def test_official_key_names_and_shapes_spot_check() -> None:
    shapes = {k: tuple(v.shape) for k, v in _meta_model("sam2.1_hiera_tiny").state_dict().items()}
    assert shapes["image_encoder.trunk.pos_embed"] == (1, 96, 7, 7)
    assert shapes["image_encoder.trunk.pos_embed_window"] == (1, 96, 8, 8)
    assert shapes["image_encoder.trunk.blocks.1.proj.weight"] == (192, 96)
    assert shapes["image_encoder.neck.convs.0.conv.weight"] == (256, 768, 1, 1)
    assert shapes["memory_attention.layers.3.cross_attn_image.k_proj.weight"] == (256, 64)
    assert shapes["memory_encoder.mask_downsampler.encoder.12.weight"] == (256, 256, 1, 1)
    assert shapes["memory_encoder.fuser.layers.1.gamma"] == (256,)
    assert shapes["sam_prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"] == (2, 128)
    assert shapes["sam_mask_decoder.pred_obj_score_head.layers.2.weight"] == (1, 256)
    assert shapes["maskmem_tpos_enc"] == (7, 1, 1, 64)
    assert shapes["obj_ptr_tpos_proj.weight"] == (64, 256)


@pytest.mark.parametrize("name", ["sam2_hiera_tiny", "sam2.1_hiera_tiny"])
def test_identify_random_checkpoints(name: str, tmp_path: Path) -> None:
    path = write_random_checkpoint(tmp_path / "weights.pt", name, seed=0)
    assert identify_checkpoint(path) == name
    assert identify_checkpoint(read_state_dict(path)) == name


def test_identify_returns_none_for_foreign_or_edited_weights() -> None:
    state = random_state_dict("sam2_hiera_tiny")
    assert identify_checkpoint({"weight": torch.zeros(3)}) is None
    del state["no_mem_embed"]
    assert identify_checkpoint(state) is None


def test_load_checkpoint_is_strict_and_exact(tmp_path: Path) -> None:
    path = write_random_checkpoint(tmp_path / "tiny.pt", "sam2.1_hiera_tiny", seed=0)
    model = SAM2Base(MODELS["sam2.1_hiera_tiny"])
    load_checkpoint(model, path)
    expected = torch.load(path, weights_only=True)["model"]
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_build_sam2_loads_the_file(tmp_path: Path) -> None:
    path = write_random_checkpoint(tmp_path / "tiny.pt", "sam2_hiera_tiny", seed=0)
    model = build_sam2("configs/sam2/sam2_hiera_t.yaml", path, device="cpu")
    assert not model.training
    assert torch.equal(
        model.no_mem_embed, torch.load(path, weights_only=True)["model"]["no_mem_embed"]
    )


def test_wrong_model_error_names_both_models(tmp_path: Path) -> None:
    path = write_random_checkpoint(tmp_path / "tiny21.pt", "sam2.1_hiera_tiny")
    with pytest.raises(CheckpointError) as error:
        build_sam2("sam2_hiera_t.yaml", path, device="cpu")
    message = str(error.value)
    assert "looks like sam2.1_hiera_tiny" in message
    assert "requested is sam2_hiera_tiny" in message
    assert "\n" not in message


def test_version_mismatch_is_reported(tmp_path: Path) -> None:
    path = write_random_checkpoint(tmp_path / "tiny20.pt", "sam2_hiera_tiny")
    with pytest.raises(CheckpointError, match=r"looks like sam2_hiera_tiny.*requested is sam2\.1"):
        build_sam2("sam2.1_hiera_tiny", path, device="cpu")


def test_edited_checkpoint_is_described(tmp_path: Path) -> None:
    state = random_state_dict("sam2_hiera_tiny")
    state["extra.weight"] = torch.zeros(1)
    torch.save({"model": state}, tmp_path / "edited.pt")
    with pytest.raises(CheckpointError, match="a modified sam2_hiera_tiny"):
        load_checkpoint(SAM2Base(MODELS["sam2_hiera_tiny"]), tmp_path / "edited.pt")


def test_missing_corrupt_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        read_state_dict(tmp_path / "absent.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(CheckpointError, match="corrupt or not a PyTorch checkpoint"):
        read_state_dict(tmp_path / "text.pt")
    full = write_random_checkpoint(tmp_path / "full.pt", "sam2_hiera_tiny").read_bytes()
    (tmp_path / "cut.pt").write_bytes(full[: len(full) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        read_state_dict(tmp_path / "cut.pt")
    torch.save({"optimizer": {"lr": 0.1}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a SAM 2 checkpoint"):
        read_state_dict(tmp_path / "other.pt")


class _RunsCode:
    def __reduce__(self):
        return (os.getcwd, ())


def test_pickles_that_run_code_are_refused(tmp_path: Path) -> None:
    torch.save({"model": {"w": torch.zeros(1)}, "payload": _RunsCode()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="could run code"):
        read_state_dict(tmp_path / "evil.pt")
