"""Telling which of the eight SAM 2 models a checkpoint file holds, or what is wrong with it.

Reading (``torch.load(weights_only=True)``, so a pickle that would run code is refused, not
run) and recognising a model from its key set and tensor shapes are the model package's job
(:mod:`sam2.checkpoint`); this module turns its answers into user-facing :class:`VfxError`
messages and checks a file against the model it should hold.
"""

from __future__ import annotations

from pathlib import Path

from vfx.checkpoints.known_models import MODELS, KnownModel
from vfx.errors import VfxError


def identify_file(path: str | Path) -> KnownModel:
    """Which of the eight official models the file at ``path`` holds.

    Raises:
        sam2.checkpoint.CheckpointError: the file is missing, cannot be read safely, or matches
            none of the eight models; the message is one line with a fix.
    """
    # Imported here, not at module level, so that `vfx checkpoints list` does not load torch.
    from sam2.checkpoint import (
        CheckpointError,
        describe_checkpoint,
        identify_checkpoint,
        read_state_dict,
    )

    state_dict = read_state_dict(path)
    name = identify_checkpoint(state_dict)
    if name is None:
        raise CheckpointError(
            f"checkpoint {path} holds {len(state_dict)} tensors that are "
            f"{describe_checkpoint(state_dict)}, not one of the eight official SAM 2 models; "
            "use an official SAM 2 checkpoint"
        )
    return MODELS[name]


def verify_checkpoint(path: str | Path, expected: KnownModel | None = None) -> KnownModel:
    """Which of the eight official models the file at ``path`` holds.

    Args:
        path: a checkpoint file.
        expected: the model the file must be; when ``None`` and the file carries an official
            file name (``sam2.1_hiera_tiny.pt``...), that name's model is expected.

    Raises:
        VfxError: the file is missing, cannot be read safely, matches none of the eight
            models, or holds a different model than expected.
    """
    from sam2.checkpoint import CheckpointError

    file = Path(path)
    try:
        found = identify_file(file)
    except CheckpointError as exc:
        raise VfxError(str(exc)) from None
    if expected is None:
        expected = next((m for m in MODELS.values() if m.file_name == file.name), found)
    if found.name != expected.name:
        raise VfxError(
            f"checkpoint {file} holds {found.name} weights, not {expected.name}; "
            f"get the right file with `{expected.download_command}`"
        )
    return found
