"""Loading and identifying official SAM 2 / SAM 2.1 checkpoint files.

Official files are ``{"model": state_dict}`` in fp32. They are read with
``torch.load(weights_only=True)``, so a pickle that would run code is refused, and loaded with
strict keys. Problems raise :class:`CheckpointError` (a ``ValueError``) whose message names the
file, what is wrong, and (for a model mismatch) which model the file looks like::

    from sam2.checkpoint import identify_checkpoint, load_checkpoint
    identify_checkpoint("checkpoints/sam2.1_hiera_tiny.pt")   # -> "sam2.1_hiera_tiny"
    load_checkpoint(model, "checkpoints/sam2.1_hiera_tiny.pt")
"""

from __future__ import annotations

import functools
import pickle
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch

from sam2.configs import MODELS

_TRUNK_BLOCK = re.compile(r"^image_encoder\.trunk\.blocks\.(\d+)\.")
_VERSION_2_1_KEYS = ("no_obj_embed_spatial", "obj_ptr_tpos_proj.weight", "obj_ptr_tpos_proj.bias")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message is one line naming the problem."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict inside an official checkpoint file (``{"model": state_dict}``).

    A bare ``{name: tensor}`` dict is accepted too. Raises :class:`CheckpointError` for missing,
    corrupt, non-checkpoint and unsafe (code-executing) files.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; download it or fix the path")
    corrupt = CheckpointError(
        f"checkpoint {path} is corrupt or not a PyTorch checkpoint; download it again"
    )
    if not zipfile.is_zipfile(path):
        raise corrupt
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"checkpoint {path} holds Python objects that could run code when loaded and was "
            "refused (weights_only=True); use an official SAM 2 checkpoint"
        ) from error
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise corrupt from error
    state_dict = content.get("model", content) if isinstance(content, Mapping) else None
    if (
        not isinstance(state_dict, Mapping)
        or not state_dict
        or not all(
            isinstance(key, str) and isinstance(value, torch.Tensor)
            for key, value in state_dict.items()
        )
    ):
        raise CheckpointError(
            f"checkpoint {path} is not a SAM 2 checkpoint (expected {{'model': state_dict}}); "
            "use an official SAM 2 checkpoint"
        )
    return dict(state_dict)


@functools.cache
def _expected_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """Key -> shape of table model ``name``'s official state dict (built on the meta device)."""
    from sam2.modeling.sam2_base import SAM2Base

    with torch.device("meta"):
        model = SAM2Base(MODELS[name])
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def _trunk_signature(state_dict: Mapping[str, torch.Tensor]) -> tuple[int, int, str] | None:
    """(trunk block count, embed dim, version) read from the keys, or None if not SAM 2-like."""
    blocks = {int(m.group(1)) for key in state_dict if (m := _TRUNK_BLOCK.match(key))}
    pos_embed = state_dict.get("image_encoder.trunk.pos_embed")
    if not blocks or pos_embed is None or pos_embed.dim() != 4:
        return None
    version = "2.1" if all(key in state_dict for key in _VERSION_2_1_KEYS) else "2.0"
    return max(blocks) + 1, int(pos_embed.shape[1]), version


def _candidates(state_dict: Mapping[str, torch.Tensor]) -> list[str]:
    signature = _trunk_signature(state_dict)
    if signature is None:
        return []
    depth, width, version = signature
    return [
        name
        for name, config in MODELS.items()
        if sum(config.stages) == depth and config.embed_dim == width and config.version == version
    ]


def _matches(state_dict: Mapping[str, torch.Tensor], name: str) -> bool:
    expected = _expected_shapes(name)
    return set(expected) == set(state_dict) and all(
        tuple(state_dict[key].shape) == shape for key, shape in expected.items()
    )


def identify_checkpoint(state_dict_or_path: Mapping[str, torch.Tensor] | str | Path) -> str | None:
    """Which of the eight official models a checkpoint is, e.g. ``"sam2.1_hiera_tiny"``.

    Accepts a path (read safely, may raise :class:`CheckpointError`) or a state dict. The answer
    comes from the key set and tensor shapes (trunk depth and width, the three extra SAM 2.1
    keys) and must match exactly; returns ``None`` when no table model matches.
    """
    state_dict: Mapping[str, torch.Tensor]
    if isinstance(state_dict_or_path, (str, Path)):
        state_dict = read_state_dict(state_dict_or_path)
    else:
        state_dict = state_dict_or_path
    for name in _candidates(state_dict):
        if _matches(state_dict, name):
            return name
    return None


def describe_checkpoint(state_dict: Mapping[str, torch.Tensor]) -> str:
    """A short phrase for error messages: the model the weights are, or look closest to."""
    identified = identify_checkpoint(state_dict)
    if identified is not None:
        return identified
    candidates = _candidates(state_dict)
    if candidates:
        return f"a modified {candidates[0]} (keys or shapes differ)"
    signature = _trunk_signature(state_dict)
    if signature is not None:
        depth, width, version = signature
        return f"an unknown SAM {version} variant ({depth} trunk blocks, width {width})"
    return "no SAM 2 model"


def load_checkpoint(
    model: torch.nn.Module, source: str | Path | Mapping[str, torch.Tensor]
) -> None:
    """Load an official checkpoint file (or state dict) into ``model`` with strict keys.

    ``model`` is a :class:`~sam2.modeling.sam2_base.SAM2Base` (its ``config.name`` appears in
    errors). On a key or shape mismatch raises :class:`CheckpointError` naming the model the
    file looks like and the one requested.
    """
    label = str(source) if isinstance(source, (str, Path)) else "state dict"
    state_dict = read_state_dict(source) if isinstance(source, (str, Path)) else dict(source)
    own = model.state_dict()
    same_keys = set(own) == set(state_dict)
    same_shapes = same_keys and all(
        tuple(state_dict[key].shape) == tuple(value.shape) for key, value in own.items()
    )
    if not same_shapes:
        config = getattr(model, "config", None)
        requested = config.name if config is not None else type(model).__name__
        raise CheckpointError(
            f"checkpoint {label} looks like {describe_checkpoint(state_dict)}, but the model "
            f"requested is {requested}; pass the config that matches the checkpoint"
        )
    model.load_state_dict(state_dict, strict=True)
