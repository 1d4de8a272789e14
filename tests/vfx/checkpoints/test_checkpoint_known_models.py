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


def test_official_sizes_and_urls() -> None:
    sizes = {m.name: m.official_bytes for m in MODELS.values() if m.version == "2.1"}
    assert sizes == {
        "sam2.1_hiera_tiny": 156_008_466,
        "sam2.1_hiera_small": 184_416_285,
        "sam2.1_hiera_base_plus": 323_606_802,
        "sam2.1_hiera_large": 898_083_611,
    }
    assert all(m.official_bytes is None for m in MODELS.values() if m.version == "2.0")
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
