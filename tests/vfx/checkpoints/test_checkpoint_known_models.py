"""The table of the eight official checkpoint files and model-name resolution."""

from __future__ import annotations

import pytest

from vfx.checkpoints import MODELS, resolve_model
from vfx.checkpoints.known_models import OFFICIAL_URL_BASE, is_official_base
from vfx.errors import VfxError


def test_table_holds_the_eight_official_files() -> None:
    assert sorted(m.file_name for m in MODELS.values()) == sorted(
        f"{prefix}_hiera_{size}.pt"
        for prefix in ("sam2", "sam2.1")
        for size in ("tiny", "small", "base_plus", "large")
    )
    assert {m.release for m in MODELS.values() if m.version == "2.0"} == {"072824"}
    assert {m.release for m in MODELS.values() if m.version == "2.1"} == {"092824"}


def test_official_sizes_fit_the_models_they_hold() -> None:
    """A checkpoint is the model's fp32 weights plus a little pickle framing: the recorded file
    sizes must match 4 bytes per parameter of the model each config builds (to 0.2%)."""
    import torch

    from sam2.configs import SAM2Config
    from sam2.sam2_video_predictor import SAM2VideoPredictor

    for model in MODELS.values():
        if model.version == "2.0":
            assert model.official_bytes is None  # not on record
            continue
        assert model.official_bytes is not None
        with torch.device("meta"):
            built = SAM2VideoPredictor(SAM2Config.from_name(model.name))
        weights = 4 * sum(p.numel() for p in built.parameters())
        assert weights < model.official_bytes < weights * 1.002, model.name


def test_urls_are_the_official_download_script_s() -> None:
    # two addresses as the official checkpoints/download_ckpts.sh spells them
    assert MODELS["sam2_hiera_large"].url() == (
        "https://dl.fbaipublicfiles.com/segment_anything_2/072824/sam2_hiera_large.pt"
    )
    assert MODELS["sam2.1_hiera_base_plus"].url() == (
        "https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_base_plus.pt"
    )


def test_mirror_urls_are_flat() -> None:
    tiny = MODELS["sam2.1_hiera_tiny"]
    assert tiny.url("http://mirror.example/weights/") == (
        "http://mirror.example/weights/sam2.1_hiera_tiny.pt"
    )
    assert is_official_base(OFFICIAL_URL_BASE + "/")
    assert not is_official_base("http://mirror.example/weights")


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("sam2.1-tiny", "sam2.1_hiera_tiny"),
        ("sam2.1_hiera_tiny", "sam2.1_hiera_tiny"),
        ("sam2.1_hiera_tiny.pt", "sam2.1_hiera_tiny"),
        ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus"),
        ("sam2_hiera_l.yaml", "sam2_hiera_large"),
        ("SAM2-Small", "sam2_hiera_small"),
    ],
)
def test_resolve_model_accepts_official_spellings(spelling: str, expected: str) -> None:
    model = resolve_model(spelling)
    assert model.name == expected
    assert model.download_command == f"vfx checkpoints download {model.short_name}"


def test_unknown_model_lists_the_names() -> None:
    with pytest.raises(VfxError, match=r"unknown SAM 2 model 'sam3-huge'; use one of") as info:
        resolve_model("sam3-huge")
    assert "sam2-tiny, sam2-small" in str(info.value)
    assert "sam2.1-large" in str(info.value)
    assert "\n" not in str(info.value)
