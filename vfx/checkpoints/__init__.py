"""The official SAM 2 checkpoints: the known files, downloading them safely, verifying and
finding them.

- :data:`MODELS`: the eight official files (name, release, URL, size, config).
- :func:`download_checkpoint`: resumable download with size and structural checks.
- :func:`verify_checkpoint`: which of the eight models a file holds, or what is wrong with it.
- :func:`find_checkpoint`: the file for a model name, searched in :func:`checkpoint_dirs`.
- :func:`list_checkpoints`: every official model and where its file is (or that it is missing).
"""

from vfx.checkpoints.discovery import (
    CheckpointStatus,
    checkpoint_dirs,
    find_checkpoint,
    list_checkpoints,
)
from vfx.checkpoints.download import download_checkpoint
from vfx.checkpoints.known_models import MODELS, KnownModel, resolve_model
from vfx.checkpoints.verify import verify_checkpoint

__all__ = [
    "MODELS",
    "CheckpointStatus",
    "KnownModel",
    "checkpoint_dirs",
    "download_checkpoint",
    "find_checkpoint",
    "list_checkpoints",
    "resolve_model",
    "verify_checkpoint",
]
