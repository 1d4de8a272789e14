"""Where every nested key of the official SAM 2 YAML configs lives in :class:`SAM2Config`.

The official configs nest settings (``model.image_encoder.trunk.embed_dim``); our config is flat
(``embed_dim``). Every nested path of the eight official configs is one of:

* a field (:data:`FIELDS`): the override sets it;
* a width tied to a field (:data:`TIED`): ours builds that layer from the field, so the override
  is accepted when it agrees with the field's final value (set both, as the official config
  needs too) and refused, naming the field to set, otherwise;
* a setting with no counterpart (:data:`FIXED`): our modules hard-wire the official value, so
  that value is accepted and any other is refused, naming the path;
* a setting with no effect on inference (:data:`NO_EFFECT`): dropout rates, the precomputed
  rotary grid (recomputed for the actual feature size, by the official code too) and an
  initial value that checkpoints overwrite; accepted and ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

_TRUNK = "image_encoder.trunk."
_NECK = "image_encoder.neck."
_LAYER = "memory_attention.layer."
_SELF = _LAYER + "self_attention."
_CROSS = _LAYER + "cross_attention."
_MEM = "memory_encoder."

# Nested path -> SAM2Config field. The mask decoder's extra args are nested in the official
# config too. Two paths that name one field must agree.
FIELDS: Mapping[str, str] = {
    **{_TRUNK + name: name for name in (
        "embed_dim", "num_heads", "stages", "global_att_blocks",
        "window_pos_embed_bkg_spatial_size", "window_spec", "q_pool", "q_stride", "dim_mul",
        "head_mul",
    )},
    "image_encoder.scalp": "scalp",
    _NECK + "d_model": "d_model",
    _NECK + "fpn_top_down_levels": "fpn_top_down_levels",
    _NECK + "fpn_interp_model": "fpn_interp_model",
    "memory_attention.num_layers": "memory_attention_num_layers",
    _LAYER + "dim_feedforward": "memory_attention_dim_feedforward",
    _SELF + "num_heads": "memory_attention_num_heads",
    _CROSS + "num_heads": "memory_attention_num_heads",
    _SELF + "rope_theta": "rope_theta",
    _CROSS + "rope_theta": "rope_theta",
    _MEM + "out_dim": "mem_dim",
    _MEM + "fuser.num_layers": "fuser_num_layers",
    **{f"sam_mask_decoder_extra_args.{name}": name for name in (
        "dynamic_multimask_via_stability", "dynamic_multimask_stability_delta",
        "dynamic_multimask_stability_thresh",
    )},
}

# Nested path -> (the field it must equal, how to read the field's value from a config).
TIED: Mapping[str, tuple[str, Callable[[Any], Any]]] = {
    _NECK + "backbone_channel_list": (
        "embed_dim and dim_mul", lambda config: config.backbone_channel_list
    ),
    **{path: ("d_model", lambda config: config.d_model) for path in (
        _NECK + "position_encoding.num_pos_feats",
        "memory_attention.d_model",
        _LAYER + "d_model",
        _SELF + "embedding_dim",
        _CROSS + "embedding_dim",
        _MEM + "fuser.layer.dim",
    )},
    **{path: ("mem_dim", lambda config: config.mem_dim) for path in (
        _CROSS + "kv_in_dim",
        _MEM + "position_encoding.num_pos_feats",
    )},
}

# Nested path -> the official value, which our modules hard-wire.
FIXED: Mapping[str, Any] = {
    _NECK + "position_encoding.normalize": True,
    _NECK + "position_encoding.scale": None,
    _NECK + "position_encoding.temperature": 10000,
    "memory_attention.pos_enc_at_input": True,
    _LAYER + "activation": "relu",
    _LAYER + "pos_enc_at_attn": False,
    _LAYER + "pos_enc_at_cross_attn_keys": True,
    _LAYER + "pos_enc_at_cross_attn_queries": False,
    _SELF + "downsample_rate": 1,
    _CROSS + "downsample_rate": 1,
    _CROSS + "rope_k_repeat": True,
    _MEM + "position_encoding.normalize": True,
    _MEM + "position_encoding.scale": None,
    _MEM + "position_encoding.temperature": 10000,
    _MEM + "mask_downsampler.kernel_size": 3,
    _MEM + "mask_downsampler.stride": 2,
    _MEM + "mask_downsampler.padding": 1,
    _MEM + "fuser.layer.kernel_size": 7,
    _MEM + "fuser.layer.padding": 3,
    _MEM + "fuser.layer.use_dwconv": True,
}

# Nested paths accepted and ignored: they cannot change an inference result.
NO_EFFECT: frozenset[str] = frozenset({
    _LAYER + "dropout",
    _SELF + "dropout",
    _CROSS + "dropout",
    _SELF + "feat_sizes",
    _CROSS + "feat_sizes",
    _MEM + "fuser.layer.layer_scale_init_value",
})


def same_value(given: Any, expected: Any) -> bool:
    """Whether an override value equals an official/derived one (``"1e-6"`` as a number, lists as
    tuples, ints as floats)."""
    if isinstance(given, str) and not isinstance(expected, str):
        try:
            given = float(given)
        except ValueError:
            return False
    if isinstance(given, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(given) == len(expected) and all(
            same_value(a, b) for a, b in zip(given, expected, strict=True)
        )
    if isinstance(given, bool) or isinstance(expected, bool) or given is None or expected is None:
        return given is expected or (given == expected and type(given) is type(expected))
    if isinstance(given, (int, float)) and isinstance(expected, (int, float)):
        return math.isclose(given, expected, rel_tol=1e-9)
    return given == expected
