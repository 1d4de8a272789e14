"""The official SAM 2 checkpoints: the known files, downloading them safely, verifying and
finding them.

- :data:`MODELS`: the eight official files (name, release, URL, size, config).
- :func:`download_checkpoint`: resumable download with size and structural checks.
- :func:`verify_checkpoint`: which of the eight models a file holds, or what is wrong with it.
- :func:`find_checkpoint`: the file for a model name, searched in :func:`checkpoint_dirs`.
"""

from vfx.checkpoints.discovery import checkpoint_dirs, find_checkpoint
from vfx.checkpoints.download import download_checkpoint
from vfx.checkpoints.known_models import MODELS, KnownModel, resolve_model
from vfx.checkpoints.verify import verify_checkpoint

__all__ = [
    "MODELS",
    "KnownModel",
    "checkpoint_dirs",
    "download_checkpoint",
    "find_checkpoint",
    "resolve_model",
    "verify_checkpoint",
]
