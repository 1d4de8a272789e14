"""One typed table of the eight official SAM 2 / SAM 2.1 models.

Every model is a frozen :class:`SAM2Config` whose fields are spelled out in full, including
the values the official ``sam2_hiera_b+.yaml`` leaves to constructor defaults. Look one up with
:meth:`SAM2Config.from_name`, which accepts every form users write a model name in::

    SAM2Config.from_name("sam2_hiera_t.yaml")
    SAM2Config.from_name("configs/sam2.1/sam2.1_hiera_b+.yaml", image_size=512)
    SAM2Config.from_name("sam2.1_hiera_large", hydra_overrides=["++model.fill_hole_area=0"])
    SAM2Config.from_name("sam2.1-tiny")

Problems with names, fields or values raise :class:`ConfigError` (a ``ValueError``).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sam2 import config_paths
from sam2.config_values import ConfigError, coerce_value, parse_override
from sam2.precision import PRECISIONS

ALLOWED_IMAGE_SIZES = (512, 768, 1024)
SIZES = ("tiny", "small", "base_plus", "large")
VERSIONS = ("2.0", "2.1")


@dataclass(frozen=True, kw_only=True)
class SAM2Config:
    """Everything that defines one SAM 2 model: architecture, inference flags, predictor flags.

    Field names follow the official YAML / ``SAM2Base`` / ``SAM2VideoPredictor`` arguments so
    official ``"++model.<field>=<value>"`` overrides apply unchanged. Nested trunk, neck and
    memory-module settings are flattened under the names listed in each section.

    A field's default is the value all eight official models share (their YAMLs, and the
    constructor defaults they rely on); the fields without one differ by size (the trunk) or
    by version (the 2.1 flags) and come from the table below the class.
    """

    # --- identity ---
    name: str  # checkpoint-style name, e.g. "sam2.1_hiera_tiny"
    version: str  # "2.0" (July 2024 checkpoints) or "2.1" (September 2024)
    size: str  # tiny | small | base_plus | large

    # --- Hiera trunk (image_encoder.trunk) ---
    embed_dim: int
    num_heads: int
    stages: tuple[int, ...]
    global_att_blocks: tuple[int, ...]
    window_pos_embed_bkg_spatial_size: tuple[int, int]
    window_spec: tuple[int, ...]
    q_pool: int = 3
    q_stride: tuple[int, int] = (2, 2)
    dim_mul: float = 2.0
    head_mul: float = 2.0

    # --- FPN neck (image_encoder.neck) ---
    d_model: int = 256
    fpn_top_down_levels: tuple[int, ...] = (2, 3)
    fpn_interp_model: str = "nearest"
    scalp: int = 1

    # --- memory attention / memory encoder ---
    memory_attention_num_layers: int = 4
    memory_attention_num_heads: int = 1
    memory_attention_dim_feedforward: int = 2048
    rope_theta: float = 10000.0
    mem_dim: int = 64  # memory_encoder.out_dim
    fuser_num_layers: int = 2

    # --- SAM2Base ---
    image_size: int = 1024
    backbone_stride: int = 16
    num_maskmem: int = 7
    sigmoid_scale_for_mem_enc: float = 20.0
    sigmoid_bias_for_mem_enc: float = -10.0
    binarize_mask_from_pts_for_mem_enc: bool = False
    use_mask_input_as_output_without_sam: bool = True
    max_cond_frames_in_attn: int = -1
    directly_add_no_mem_embed: bool = True
    use_high_res_features_in_sam: bool = True
    multimask_output_in_sam: bool = True
    multimask_min_pt_num: int = 0
    multimask_max_pt_num: int = 1
    multimask_output_for_tracking: bool = True
    use_multimask_token_for_obj_ptr: bool = True
    iou_prediction_use_sigmoid: bool = True
    memory_temporal_stride_for_eval: int = 1
    non_overlap_masks_for_mem_enc: bool = False
    use_obj_ptrs_in_encoder: bool = True
    max_obj_ptrs_in_encoder: int = 16
    add_tpos_enc_to_obj_ptrs: bool
    proj_tpos_enc_in_obj_ptrs: bool
    use_signed_tpos_enc_to_obj_ptrs: bool
    only_obj_ptrs_in_the_past_for_eval: bool = True
    pred_obj_scores: bool = True
    pred_obj_scores_mlp: bool = True
    fixed_no_obj_ptr: bool = True
    soft_no_obj_ptr: bool = False
    use_mlp_for_obj_ptr_proj: bool = True
    no_obj_embed_spatial: bool
    compile_image_encoder: bool = False

    # --- mask decoder (official: model.sam_mask_decoder_extra_args.*) ---
    dynamic_multimask_via_stability: bool = False
    dynamic_multimask_stability_delta: float = 0.05
    dynamic_multimask_stability_thresh: float = 0.98

    # --- SAM2VideoPredictor ---
    fill_hole_area: int = 0
    non_overlap_masks: bool = False
    clear_non_cond_mem_around_input: bool = False
    add_all_frames_to_correct_as_cond: bool = False

    # --- ours: opt-in faster image encoder on CPU (bf16 matmuls, fp32 softmax) ---
    image_encoder_precision: str = "fp32"

    def __post_init__(self) -> None:
        problems = _check_types(self)
        if problems:
            raise ConfigError(f"{self.name}: " + "; ".join(problems))
        checks = [
            (
                self.image_size in ALLOWED_IMAGE_SIZES,
                f"image_size must be one of {list(ALLOWED_IMAGE_SIZES)}, got {self.image_size}",
            ),
            (self.version in VERSIONS, f"version must be one of {list(VERSIONS)}"),
            (self.size in SIZES, f"size must be one of {list(SIZES)}"),
            (
                len(self.stages) == len(self.window_spec),
                "stages and window_spec must have the same length",
            ),
            (0 <= self.q_pool < len(self.stages), "q_pool must be in [0, len(stages))"),
            (
                all(0 <= b < sum(self.stages) for b in self.global_att_blocks),
                "global_att_blocks must index trunk blocks",
            ),
            (
                self.image_size % (self.backbone_stride * 2) == 0,
                "image_size must be divisible by 2 * backbone_stride",
            ),
            (
                not self.proj_tpos_enc_in_obj_ptrs or self.add_tpos_enc_to_obj_ptrs,
                "proj_tpos_enc_in_obj_ptrs needs add_tpos_enc_to_obj_ptrs",
            ),
            (
                not self.fixed_no_obj_ptr
                or (self.pred_obj_scores and self.use_obj_ptrs_in_encoder),
                "fixed_no_obj_ptr needs pred_obj_scores and use_obj_ptrs_in_encoder",
            ),
            (
                self.multimask_min_pt_num <= self.multimask_max_pt_num,
                "multimask_min_pt_num must not exceed multimask_max_pt_num",
            ),
            (self.num_maskmem >= 0, "num_maskmem must be >= 0"),
            (self.fill_hole_area >= 0, "fill_hole_area must be >= 0"),
            (
                self.fpn_interp_model in ("nearest", "bilinear"),
                "fpn_interp_model must be 'nearest' or 'bilinear'",
            ),
            (
                self.image_encoder_precision in PRECISIONS,
                f"image_encoder_precision must be one of {list(PRECISIONS)}",
            ),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise ConfigError(f"{self.name}: " + "; ".join(problems))

    @property
    def backbone_channel_list(self) -> tuple[int, ...]:
        """Trunk output channels, lowest resolution first, e.g. (768, 384, 192, 96)."""
        dims = [int(self.embed_dim * self.dim_mul**i) for i in range(len(self.stages))]
        return tuple(reversed(dims))

    @property
    def feature_sizes(self) -> tuple[tuple[int, int], ...]:
        """Spatial sizes of the three SAM feature levels (stride 4, 8, 16), e.g. 256, 128, 64."""
        top = self.image_size // self.backbone_stride
        return ((top * 4, top * 4), (top * 2, top * 2), (top, top))

    @classmethod
    def from_name(
        cls,
        name: str,
        hydra_overrides: Iterable[str] = (),
        **overrides: Any,
    ) -> SAM2Config:
        """The table entry for ``name`` with overrides applied.

        ``name`` may be an official config file name (``sam2_hiera_t.yaml``,
        ``configs/sam2.1/sam2.1_hiera_b+.yaml``), a checkpoint-style name (``sam2.1_hiera_tiny``,
        optionally with ``.pt`` or a directory), a friendly name (``sam2.1-tiny``) or a Hugging
        Face id (``facebook/sam2.1-hiera-tiny``). ``hydra_overrides`` are official
        ``"++model.<field>=<value>"`` strings; keyword ``overrides`` set fields directly and win.
        """
        return MODELS[canonical_name(name)].with_overrides(hydra_overrides, **overrides)

    def with_overrides(self, hydra_overrides: Iterable[str] = (), **overrides: Any) -> SAM2Config:
        """A copy with fields replaced from override strings, then from keyword arguments.

        Override strings may use the official nested paths
        (``"++model.image_encoder.trunk.embed_dim=144"``); see :mod:`sam2.config_paths`.
        """
        if isinstance(hydra_overrides, str):
            hydra_overrides = [hydra_overrides]
        known = {f.name for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        set_by: dict[str, str] = {}
        tied: list[tuple[str, Any]] = []
        unknown: list[str] = []
        for text in hydra_overrides:
            path, value = parse_override(text)
            field_name = path if path in known else config_paths.FIELDS.get(path)
            if field_name is None:
                if path in config_paths.TIED:
                    tied.append((path, value))
                elif path in config_paths.FIXED:
                    _check_fixed(path, value)
                elif path not in config_paths.NO_EFFECT:
                    unknown.append(path)
                continue
            earlier = set_by.get(field_name)
            if earlier not in (None, path) and not config_paths.same_value(
                changes[field_name], value
            ):
                raise ConfigError(
                    f"model.{earlier}={changes[field_name]!r} and model.{path}={value!r} both set "
                    f"{field_name}, which ours keeps once; give them the same value"
                )
            changes[field_name] = value
            set_by[field_name] = path
        changes.update(overrides)
        unknown += sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(
                f"unknown SAM2Config field(s) {unknown}; valid fields: {', '.join(sorted(known))} "
                "(official nested paths such as image_encoder.trunk.embed_dim also work)"
            )
        hints = _field_types()
        coerced = {key: coerce_value(key, value, hints[key]) for key, value in changes.items()}
        result = dataclasses.replace(self, **coerced)
        for path, value in tied:
            field_name, read = config_paths.TIED[path]
            if not config_paths.same_value(value, read(result)):
                raise ConfigError(
                    f"model.{path}={value!r} disagrees with {read(result)!r} from {field_name}: "
                    f"ours derives it from {field_name}, so override that instead"
                )
        return result


def _check_fixed(path: str, value: Any) -> None:
    official = config_paths.FIXED[path]
    if not config_paths.same_value(value, official):
        raise ConfigError(
            f"model.{path}={value!r} has no counterpart in SAM2Config: ours always uses the "
            f"official value {official!r}"
        )


# ---------------------------------------------------------------------------- names

_SIZE_ALIASES = {
    "t": "tiny",
    "tiny": "tiny",
    "s": "small",
    "small": "small",
    "b+": "base_plus",
    "b_plus": "base_plus",
    "base_plus": "base_plus",
    "base-plus": "base_plus",
    "baseplus": "base_plus",
    "bplus": "base_plus",
    "l": "large",
    "large": "large",
}
_NAME_PATTERN = re.compile(r"^sam2(?P<minor>\.1)?[_-](?:hiera[_-])?(?P<size>.+)$")


def canonical_name(name: str) -> str:
    """The checkpoint-style table key for any accepted spelling, e.g. ``sam2.1_hiera_b+.yaml`` ->
    ``sam2.1_hiera_base_plus``; raises :class:`ConfigError` listing valid names otherwise."""
    text = str(name).strip().replace("\\", "/").rsplit("/", 1)[-1].lower()
    for suffix in (".yaml", ".yml", ".pt"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    match = _NAME_PATTERN.match(text)
    size = _SIZE_ALIASES.get(match.group("size")) if match else None
    if match is None or size is None:
        raise ConfigError(
            f"unknown SAM 2 model {name!r}; valid names: {', '.join(MODEL_NAMES)} "
            "(config files such as sam2.1_hiera_t.yaml and names such as sam2.1-tiny also work)"
        )
    prefix = "sam2.1" if match.group("minor") else "sam2"
    return f"{prefix}_hiera_{size}"


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(SAM2Config)


def _check_types(config: SAM2Config) -> list[str]:
    hints = _field_types()
    problems = []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        try:
            coerce_value(field.name, value, hints[field.name])
        except ConfigError as error:
            problems.append(str(error))
    return problems


# ---------------------------------------------------------------------------- the table

# Hiera trunk per size (FACTS.md; base_plus values are the constructor defaults the official YAML
# relies on, written out here).
_TRUNK_FIELDS = (
    "embed_dim",
    "num_heads",
    "stages",
    "global_att_blocks",
    "window_pos_embed_bkg_spatial_size",
    "window_spec",
)
_TRUNK_ROWS: Mapping[str, tuple[Any, ...]] = {
    # size:       embed heads  stages         global blocks  window pos  window spec
    "tiny":       (96,   1,    (1, 2, 7, 2),  (5, 7, 9),     (7, 7),     (8, 4, 14, 7)),
    "small":      (96,   1,    (1, 2, 11, 2), (7, 10, 13),   (7, 7),     (8, 4, 14, 7)),
    "base_plus":  (112,  2,    (2, 3, 16, 3), (12, 16, 20),  (14, 14),   (8, 4, 14, 7)),
    "large":      (144,  2,    (2, 6, 36, 4), (23, 33, 43),  (7, 7),     (8, 4, 16, 8)),
}  # fmt: skip
_TRUNKS: Mapping[str, Mapping[str, Any]] = {
    size: dict(zip(_TRUNK_FIELDS, row, strict=True)) for size, row in _TRUNK_ROWS.items()
}

# The flags SAM 2.1 switches on (its YAMLs add them; SAM 2 runs with all four off).
_V2_1_FLAGS = (
    "no_obj_embed_spatial",
    "add_tpos_enc_to_obj_ptrs",
    "proj_tpos_enc_in_obj_ptrs",
    "use_signed_tpos_enc_to_obj_ptrs",
)
_VERSION_FLAGS: Mapping[str, Mapping[str, Any]] = {
    version: dict.fromkeys(_V2_1_FLAGS, version == "2.1") for version in VERSIONS
}


def _build_table() -> dict[str, SAM2Config]:
    table = {}
    for version in VERSIONS:
        prefix = "sam2.1" if version == "2.1" else "sam2"
        for size in SIZES:
            name = f"{prefix}_hiera_{size}"
            table[name] = SAM2Config(
                name=name,
                version=version,
                size=size,
                **_TRUNKS[size],
                **_VERSION_FLAGS[version],
            )
    return table


MODELS: Mapping[str, SAM2Config] = _build_table()
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)

# Official config file for each table entry (what the reference's Hydra search path calls it).
OFFICIAL_CONFIG_FILES: Mapping[str, str] = {
    name: (
        f"configs/{'sam2.1' if config.version == '2.1' else 'sam2'}/"
        f"{'sam2.1' if config.version == '2.1' else 'sam2'}_hiera_"
        f"{ {'tiny': 't', 'small': 's', 'base_plus': 'b+', 'large': 'l'}[config.size] }.yaml"
    )
    for name, config in MODELS.items()
}
