"""Official nested Hydra paths (``++model.image_encoder.trunk.embed_dim=...``) map onto our flat
config: every leaf of the eight official YAMLs is accepted with its own value, fields change,
and values ours cannot honour are refused with the path named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sam2.config_paths import FIELDS, FIXED, NO_EFFECT, TIED
from sam2.configs import MODELS, OFFICIAL_CONFIG_FILES, ConfigError, SAM2Config
from tests.sam2.reference_bridge import REPO_ROOT, require_reference


def _reference_configs() -> Path:
    require_reference()
    found = sorted((REPO_ROOT / ".venv-reference").glob("lib/python3*/site-packages/sam2"))
    assert found, "the reference env has no sam2 package"
    return found[0]


def _leaves(tree: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_leaves(value, path + "."))
        elif not key.startswith("_"):  # _target_: the class to build, not a setting
            out[path] = value
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_as_text(v) for v in value) + "]"
    return str(value)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_official_leaf_round_trips(name: str) -> None:
    """Each leaf of the official YAML, given back with its own value, is accepted and leaves the
    config unchanged; together they cover every nested path the official configs have."""
    text = (_reference_configs() / OFFICIAL_CONFIG_FILES[name]).read_text()
    leaves = _leaves(yaml.safe_load(text)["model"])
    nested = [path for path in leaves if "." in path]
    assert len(nested) > 40  # trunk, neck, memory attention and memory encoder
    overrides = [f"++model.{path}={_as_text(value)}" for path, value in leaves.items()]
    assert SAM2Config.from_name(name, overrides) == MODELS[name]
    classified = set(FIELDS) | set(TIED) | set(FIXED) | NO_EFFECT
    assert not [path for path in nested if path not in classified]


def test_nested_paths_set_fields() -> None:
    config = SAM2Config.from_name(
        "sam2.1_hiera_tiny",
        [
            "++model.image_encoder.trunk.embed_dim=112",
            "++model.image_encoder.trunk.num_heads=2",
            "++model.image_encoder.neck.backbone_channel_list=[896, 448, 224, 112]",
            "++model.memory_attention.num_layers=2",
            "++model.memory_attention.layer.dim_feedforward=1024",
            "++model.memory_attention.layer.self_attention.num_heads=2",
            "++model.memory_attention.layer.cross_attention.num_heads=2",
            "++model.memory_attention.layer.cross_attention.rope_theta=5000.0",
            "++model.memory_encoder.fuser.num_layers=1",
            "++model.image_encoder.scalp=0",
            "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta=0.1",
        ],
    )
    assert (config.embed_dim, config.num_heads) == (112, 2)
    assert config.backbone_channel_list == (896, 448, 224, 112)
    assert config.memory_attention_num_layers == 2
    assert config.memory_attention_dim_feedforward == 1024
    assert config.memory_attention_num_heads == 2
    assert config.rope_theta == 5000.0
    assert (config.fuser_num_layers, config.scalp) == (1, 0)
    assert config.dynamic_multimask_stability_delta == 0.1


@pytest.mark.parametrize(
    ("override", "message"),
    [
        # a width ours derives: the field to set is named
        ("++model.image_encoder.neck.backbone_channel_list=[1, 2, 3, 4]", "embed_dim and dim_mul"),
        ("++model.memory_attention.d_model=128", "from d_model"),
        ("++model.memory_attention.layer.cross_attention.kv_in_dim=32", "from mem_dim"),
        # hard-wired: the path is named
        ("++model.memory_attention.layer.activation=gelu", "layer.activation='gelu' has no "
                                                           "counterpart"),
        ("++model.memory_encoder.mask_downsampler.stride=4", "mask_downsampler.stride=4 has no"),
        ("++model.image_encoder.trunk.no_such_arg=1", "image_encoder.trunk.no_such_arg"),
    ],
)
def test_nested_values_ours_cannot_honour_are_refused(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        SAM2Config.from_name("sam2.1_hiera_tiny", [override])
    assert message in str(error.value)


def test_tied_widths_follow_the_final_field_value() -> None:
    config = SAM2Config.from_name(
        "sam2.1_hiera_tiny",
        ["++model.memory_attention.d_model=128", "++model.image_encoder.neck.d_model=128"],
    )
    assert config.d_model == 128


def test_two_paths_for_one_field_must_agree() -> None:
    with pytest.raises(ConfigError, match="both set memory_attention_num_heads"):
        SAM2Config.from_name(
            "sam2.1_hiera_tiny",
            [
                "++model.memory_attention.layer.self_attention.num_heads=2",
                "++model.memory_attention.layer.cross_attention.num_heads=4",
            ],
        )


def test_no_effect_paths_are_accepted_and_ignored() -> None:
    config = SAM2Config.from_name(
        "sam2_hiera_tiny",
        [
            "++model.memory_attention.layer.dropout=0.0",
            "++model.memory_attention.layer.self_attention.feat_sizes=[32, 32]",
        ],
    )
    assert config == MODELS["sam2_hiera_tiny"]
