"""The typed config table: every name form, per-size values, overrides and error messages."""

from __future__ import annotations

import dataclasses

import pytest

from sam2.configs import (
    MODEL_NAMES,
    MODELS,
    OFFICIAL_CONFIG_FILES,
    ConfigError,
    SAM2Config,
    canonical_name,
    parse_override,
)

SHORT = {"tiny": "t", "small": "s", "base_plus": "b+", "large": "l"}


def _spellings(name: str) -> list[str]:
    """Every way users write table model ``name`` (official configs, checkpoints, friendly)."""
    config = MODELS[name]
    prefix = "sam2.1" if config.version == "2.1" else "sam2"
    yaml = f"{prefix}_hiera_{SHORT[config.size]}.yaml"
    friendly = config.size.replace("_", "-")
    return [
        name,
        yaml,
        f"configs/{prefix}/{yaml}",
        f"{name}.pt",
        f"./checkpoints/{name}.pt",
        f"{prefix}-{friendly}",
        f"{prefix}_hiera_{SHORT[config.size]}",
        f"facebook/{prefix}-hiera-{friendly}",
    ]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_spelling_maps_to_the_entry(name: str) -> None:
    for spelling in _spellings(name):
        assert canonical_name(spelling) == name, spelling
        assert SAM2Config.from_name(spelling) == MODELS[name]


def test_table_holds_the_eight_official_models() -> None:
    assert len(MODELS) == 8
    assert set(OFFICIAL_CONFIG_FILES.values()) == {
        f"configs/{p}/{p}_hiera_{s}.yaml" for p in ("sam2", "sam2.1") for s in "tsl"
    } | {"configs/sam2/sam2_hiera_b+.yaml", "configs/sam2.1/sam2.1_hiera_b+.yaml"}


# Parameter counts published with the official models (millions, rounded to 0.1 M): a check of
# the whole architecture each config builds, independent of the config table's own values.
PUBLISHED_MILLIONS = {"tiny": 38.9, "small": 46.0, "base_plus": 80.8, "large": 224.4}


@pytest.mark.parametrize("size", list(PUBLISHED_MILLIONS))
def test_each_size_builds_the_published_parameter_count(size: str) -> None:
    import torch

    from sam2.sam2_video_predictor import SAM2VideoPredictor

    for prefix in ("sam2", "sam2.1"):
        with torch.device("meta"):  # shapes only: no memory, no initialisation
            model = SAM2VideoPredictor(MODELS[f"{prefix}_hiera_{size}"])
        count = sum(p.numel() for p in model.parameters())
        assert count / 1e6 == pytest.approx(PUBLISHED_MILLIONS[size], abs=0.1), prefix


def test_versions_differ_only_in_the_four_sam21_flags() -> None:
    flags = {
        "no_obj_embed_spatial",
        "add_tpos_enc_to_obj_ptrs",
        "proj_tpos_enc_in_obj_ptrs",
        "use_signed_tpos_enc_to_obj_ptrs",
    }
    for size in SHORT:
        old, new = MODELS[f"sam2_hiera_{size}"], MODELS[f"sam2.1_hiera_{size}"]
        differing = {
            f.name
            for f in dataclasses.fields(SAM2Config)
            if getattr(old, f.name) != getattr(new, f.name)
        }
        assert differing == flags | {"name", "version"}
        assert all(getattr(new, flag) for flag in flags)
        assert not any(getattr(old, flag) for flag in flags)


def test_official_yaml_values_are_spelled_out() -> None:
    config = MODELS["sam2.1_hiera_tiny"]
    assert (config.image_size, config.num_maskmem, config.mem_dim) == (1024, 7, 64)
    assert (config.sigmoid_scale_for_mem_enc, config.sigmoid_bias_for_mem_enc) == (20.0, -10.0)
    assert (config.multimask_min_pt_num, config.multimask_max_pt_num) == (0, 1)
    assert config.fill_hole_area == 0
    assert config.dynamic_multimask_via_stability is False
    assert config.feature_sizes == ((256, 256), (128, 128), (64, 64))


def test_overrides_from_strings_and_keywords() -> None:
    config = SAM2Config.from_name(
        "sam2.1-tiny",
        hydra_overrides=[
            "++model.fill_hole_area=0",
            "++model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability=true",
            "model.sigmoid_scale_for_mem_enc=5",
            "+model.fpn_top_down_levels=[1, 2]",
            "++model.image_encoder_precision=bf16",
        ],
        image_size=512,
        num_maskmem=3,
    )
    assert config.fill_hole_area == 0
    assert config.dynamic_multimask_via_stability is True
    assert config.sigmoid_scale_for_mem_enc == 5.0
    assert isinstance(config.sigmoid_scale_for_mem_enc, float)
    assert config.fpn_top_down_levels == (1, 2)
    assert config.image_encoder_precision == "bf16"
    assert (config.image_size, config.num_maskmem) == (512, 3)
    assert config.feature_sizes[-1] == (32, 32)
    assert MODELS["sam2.1_hiera_tiny"].image_size == 1024  # the table is untouched


def test_keyword_overrides_win_over_strings() -> None:
    config = SAM2Config.from_name("sam2_hiera_s", ["++model.image_size=768"], image_size=512)
    assert config.image_size == 512


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("False", False), ("8", 8), ("0.5", 0.5), ("'x'", "x"), ("[2, 3]", (2, 3))],
)
def test_override_values_parse_safely(text: str, value) -> None:
    assert parse_override(f"++model.field={text}") == ("field", value)


def test_override_text_is_never_evaluated() -> None:
    assert parse_override("++model.name=__import__('os')") == ("name", "__import__('os')")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_size": 640}, "image_size must be one of [512, 768, 1024], got 640"),
        ({"not_a_field": 1}, "unknown SAM2Config field(s) ['not_a_field']"),
        ({"fill_hole_area": "big"}, "field 'fill_hole_area' expects int, got 'big'"),
        ({"use_high_res_features_in_sam": 1}, "expects bool"),
        ({"image_encoder_precision": "fp8"}, "image_encoder_precision must be one of"),
        ({"proj_tpos_enc_in_obj_ptrs": True, "add_tpos_enc_to_obj_ptrs": False}, "needs add_tpos"),
    ],
)
def test_bad_overrides_raise_clear_errors(kwargs, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        SAM2Config.from_name("sam2.1_hiera_tiny", **kwargs)
    assert message in str(error.value)


def test_unknown_field_error_lists_valid_fields() -> None:
    with pytest.raises(ConfigError, match=r"valid fields: .*fill_hole_area"):
        SAM2Config.from_name("sam2_hiera_t.yaml", ["++model.fill_holes=1"])


def test_malformed_override_string() -> None:
    with pytest.raises(ConfigError, match=r"'\+\+model\.<field>=<value>'"):
        SAM2Config.from_name("sam2_hiera_t.yaml", ["fill_hole_area: 0"])


@pytest.mark.parametrize("name", ["sam3_hiera_t.yaml", "sam2.1_hiera_huge", "", "tiny"])
def test_unknown_name_lists_valid_names(name: str) -> None:
    with pytest.raises(ConfigError) as error:
        SAM2Config.from_name(name)
    assert "valid names: sam2_hiera_tiny" in str(error.value)
    assert "sam2.1_hiera_large" in str(error.value)


def test_configs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MODELS["sam2_hiera_tiny"].image_size = 512  # type: ignore[misc]
