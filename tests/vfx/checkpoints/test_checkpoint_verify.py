"""`verify_checkpoint`: which of the eight models a file holds, or what is wrong with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from vfx.checkpoints import MODELS, verify_checkpoint
from vfx.errors import VfxError


def test_identifies_generated_checkpoints(generated_checkpoints: dict[str, Path]) -> None:
    for name, path in generated_checkpoints.items():
        assert verify_checkpoint(path) == MODELS[name]


def test_official_name_promising_another_model(
    generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    misnamed = tmp_path / "sam2.1_hiera_small.pt"
    misnamed.symlink_to(generated_checkpoints["sam2.1_hiera_tiny"])
    with pytest.raises(VfxError) as info:
        verify_checkpoint(misnamed)
    assert str(info.value) == (
        f"checkpoint {misnamed} holds sam2.1_hiera_tiny weights, not sam2.1_hiera_small; "
        "get the right file with `vfx checkpoints download sam2.1-small`"
    )


def test_expected_model_is_checked(generated_checkpoints: dict[str, Path]) -> None:
    with pytest.raises(VfxError, match=r"holds sam2_hiera_tiny weights, not sam2\.1_hiera_tiny"):
        verify_checkpoint(generated_checkpoints["sam2_hiera_tiny"], MODELS["sam2.1_hiera_tiny"])


def test_modified_model_says_what_it_looks_like(
    generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    state_dict = torch.load(
        generated_checkpoints["sam2.1_hiera_tiny"], map_location="cpu", weights_only=True
    )["model"]
    state_dict["obj_ptr_tpos_proj.weight"] = torch.zeros(3, 3)
    path = tmp_path / "modified.pt"
    torch.save({"model": state_dict}, path)
    with pytest.raises(VfxError) as info:
        verify_checkpoint(path)
    assert "a modified sam2.1_hiera_tiny" in str(info.value)
    assert "not one of the eight official SAM 2 models" in str(info.value)


def test_not_a_sam2_state_dict(tmp_path: Path) -> None:
    path = tmp_path / "other.pt"
    torch.save({"model": {"layer.weight": torch.ones(4, 4)}}, path)
    with pytest.raises(VfxError, match="holds 1 tensors that are no SAM 2 model"):
        verify_checkpoint(path)


@pytest.mark.parametrize("content", ["random", "truncated", "empty"])
def test_corrupt_files(
    content: str, generated_checkpoints: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "broken.pt"
    if content == "random":
        path.write_bytes(os.urandom(5000))
    elif content == "truncated":
        data = generated_checkpoints["sam2_hiera_tiny"].read_bytes()
        path.write_bytes(data[: len(data) - 100])
    else:
        path.write_bytes(b"")
    with pytest.raises(VfxError, match="is corrupt or not a PyTorch checkpoint") as info:
        verify_checkpoint(path)
    assert "\n" not in str(info.value)


def test_pickle_that_would_run_code_is_refused(
    code_running_checkpoint: tuple[Path, Path],
) -> None:
    path, marker = code_running_checkpoint
    with pytest.raises(VfxError, match="could run code when loaded and was refused"):
        verify_checkpoint(path)
    assert not marker.exists()
    # The payload is real: an unsafe load runs it (here it only creates an empty file).
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VfxError, match="does not exist"):
        verify_checkpoint(tmp_path / "sam2.1_hiera_tiny.pt")
