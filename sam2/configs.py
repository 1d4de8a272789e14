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

from sam2.config_values import ConfigError, coerce_value, parse_override
from sam2.precision import PRECISIONS

ALLOWED_IMAGE_SIZES = (512, 768, 1024)
SIZES = ("tiny", "small", "base_plus", "large")
VERSIONS = ("2.0", "2.1")


@dataclass(frozen=True)
class SAM2Config:
    """Everything that defines one SAM 2 model: architecture, inference flags, predictor flags.

    Field names follow the official YAML / ``SAM2Base`` / ``SAM2VideoPredictor`` arguments so
    official ``"++model.<field>=<value>"`` overrides apply unchanged. Nested trunk, neck and
    memory-module settings are flattened under the names listed in each section.
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
    q_pool: int
    q_stride: tuple[int, int]
    dim_mul: float
    head_mul: float

    # --- FPN neck (image_encoder.neck) ---
    d_model: int
    fpn_top_down_levels: tuple[int, ...]
    fpn_interp_model: str
    scalp: int

    # --- memory attention / memory encoder ---
    memory_attention_num_layers: int
    memory_attention_num_heads: int
    memory_attention_dim_feedforward: int
    rope_theta: float
    mem_dim: int  # memory_encoder.out_dim
    fuser_num_layers: int

    # --- SAM2Base ---
    image_size: int
    backbone_stride: int
    num_maskmem: int
    sigmoid_scale_for_mem_enc: float
    sigmoid_bias_for_mem_enc: float
    binarize_mask_from_pts_for_mem_enc: bool
    use_mask_input_as_output_without_sam: bool
    max_cond_frames_in_attn: int
    directly_add_no_mem_embed: bool
    use_high_res_features_in_sam: bool
    multimask_output_in_sam: bool
    multimask_min_pt_num: int
    multimask_max_pt_num: int
    multimask_output_for_tracking: bool
    use_multimask_token_for_obj_ptr: bool
    iou_prediction_use_sigmoid: bool
    memory_temporal_stride_for_eval: int
    non_overlap_masks_for_mem_enc: bool
    use_obj_ptrs_in_encoder: bool
    max_obj_ptrs_in_encoder: int
    add_tpos_enc_to_obj_ptrs: bool
    proj_tpos_enc_in_obj_ptrs: bool
    use_signed_tpos_enc_to_obj_ptrs: bool
    only_obj_ptrs_in_the_past_for_eval: bool
    pred_obj_scores: bool
    pred_obj_scores_mlp: bool
    fixed_no_obj_ptr: bool
    soft_no_obj_ptr: bool
    use_mlp_for_obj_ptr_proj: bool
    no_obj_embed_spatial: bool
    compile_image_encoder: bool

    # --- mask decoder (official: model.sam_mask_decoder_extra_args.*) ---
    dynamic_multimask_via_stability: bool
    dynamic_multimask_stability_delta: float
    dynamic_multimask_stability_thresh: float

    # --- SAM2VideoPredictor ---
    fill_hole_area: int
    non_overlap_masks: bool
    clear_non_cond_mem_around_input: bool
    add_all_frames_to_correct_as_cond: bool

    # --- ours: opt-in faster image encoder on CPU (bf16 matmuls, fp32 softmax) ---
    image_encoder_precision: str

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
        """A copy with fields replaced from override strings, then from keyword arguments."""
        if isinstance(hydra_overrides, str):
            hydra_overrides = [hydra_overrides]
        changes: dict[str, Any] = {}
        for text in hydra_overrides:
            field_name, value = parse_override(text)
            changes[field_name] = value
        changes.update(overrides)
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(
                f"unknown SAM2Config field(s) {unknown}; valid fields: {', '.join(sorted(known))}"
            )
        hints = _field_types()
        coerced = {key: coerce_value(key, value, hints[key]) for key, value in changes.items()}
        return dataclasses.replace(self, **coerced)


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
_TRUNKS: Mapping[str, Mapping[str, Any]] = {
    "tiny": dict(
        embed_dim=96,
        num_heads=1,
        stages=(1, 2, 7, 2),
        global_att_blocks=(5, 7, 9),
        window_pos_embed_bkg_spatial_size=(7, 7),
        window_spec=(8, 4, 14, 7),
    ),
    "small": dict(
        embed_dim=96,
        num_heads=1,
        stages=(1, 2, 11, 2),
        global_att_blocks=(7, 10, 13),
        window_pos_embed_bkg_spatial_size=(7, 7),
        window_spec=(8, 4, 14, 7),
    ),
    "base_plus": dict(
        embed_dim=112,
        num_heads=2,
        stages=(2, 3, 16, 3),
        global_att_blocks=(12, 16, 20),
        window_pos_embed_bkg_spatial_size=(14, 14),
        window_spec=(8, 4, 14, 7),
    ),
    "large": dict(
        embed_dim=144,
        num_heads=2,
        stages=(2, 6, 36, 4),
        global_att_blocks=(23, 33, 43),
        window_pos_embed_bkg_spatial_size=(7, 7),
        window_spec=(8, 4, 16, 8),
    ),
}

# Flags that differ between SAM 2 and SAM 2.1 (the 2.1 YAMLs add four of them).
_VERSION_FLAGS: Mapping[str, Mapping[str, Any]] = {
    "2.0": dict(
        no_obj_embed_spatial=False,
        add_tpos_enc_to_obj_ptrs=False,
        proj_tpos_enc_in_obj_ptrs=False,
        use_signed_tpos_enc_to_obj_ptrs=False,
    ),
    "2.1": dict(
        no_obj_embed_spatial=True,
        add_tpos_enc_to_obj_ptrs=True,
        proj_tpos_enc_in_obj_ptrs=True,
        use_signed_tpos_enc_to_obj_ptrs=True,
    ),
}

# Everything the eight official YAMLs (and the constructors they rely on) set identically.
_SHARED: Mapping[str, Any] = dict(
    q_pool=3,
    q_stride=(2, 2),
    dim_mul=2.0,
    head_mul=2.0,
    d_model=256,
    fpn_top_down_levels=(2, 3),
    fpn_interp_model="nearest",
    scalp=1,
    memory_attention_num_layers=4,
    memory_attention_num_heads=1,
    memory_attention_dim_feedforward=2048,
    rope_theta=10000.0,
    mem_dim=64,
    fuser_num_layers=2,
    image_size=1024,
    backbone_stride=16,
    num_maskmem=7,
    sigmoid_scale_for_mem_enc=20.0,
    sigmoid_bias_for_mem_enc=-10.0,
    binarize_mask_from_pts_for_mem_enc=False,
    use_mask_input_as_output_without_sam=True,
    max_cond_frames_in_attn=-1,
    directly_add_no_mem_embed=True,
    use_high_res_features_in_sam=True,
    multimask_output_in_sam=True,
    multimask_min_pt_num=0,
    multimask_max_pt_num=1,
    multimask_output_for_tracking=True,
    use_multimask_token_for_obj_ptr=True,
    iou_prediction_use_sigmoid=True,
    memory_temporal_stride_for_eval=1,
    non_overlap_masks_for_mem_enc=False,
    use_obj_ptrs_in_encoder=True,
    max_obj_ptrs_in_encoder=16,
    only_obj_ptrs_in_the_past_for_eval=True,
    pred_obj_scores=True,
    pred_obj_scores_mlp=True,
    fixed_no_obj_ptr=True,
    soft_no_obj_ptr=False,
    use_mlp_for_obj_ptr_proj=True,
    compile_image_encoder=False,
    dynamic_multimask_via_stability=False,
    dynamic_multimask_stability_delta=0.05,
    dynamic_multimask_stability_thresh=0.98,
    fill_hole_area=0,
    non_overlap_masks=False,
    clear_non_cond_mem_around_input=False,
    add_all_frames_to_correct_as_cond=False,
    image_encoder_precision="fp32",
)


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
                **_SHARED,
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
