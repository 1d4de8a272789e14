"""Finding checkpoint files on disk without path juggling.

Search order for a model's official file name (``sam2.1_hiera_tiny.pt``...), first hit wins:

1. an explicit path (``--checkpoint PATH``): a file, or a folder holding the official file name;
2. ``./checkpoints/`` under the current working directory (where the official
   ``download_ckpts.sh`` puts files);
3. every folder in ``$VFX_CHECKPOINTS`` (one folder, or several joined with ``os.pathsep``);
4. the user cache, ``$XDG_CACHE_HOME/vfx/checkpoints`` (``~/.cache/vfx/checkpoints`` when
   ``XDG_CACHE_HOME`` is unset), where ``vfx checkpoints download`` saves by default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vfx.checkpoints.known_models import MODELS, KnownModel, resolve_model
from vfx.errors import VfxError

CHECKPOINTS_ENV = "VFX_CHECKPOINTS"


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vfx/checkpoints``, or ``~/.cache/vfx/checkpoints``."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "vfx" / "checkpoints"


def env_dirs() -> list[Path]:
    """The folders named by ``$VFX_CHECKPOINTS``, in order (empty when it is unset)."""
    value = os.environ.get(CHECKPOINTS_ENV, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def default_download_dir() -> Path:
    """Where downloads go without ``--dir``: the first ``$VFX_CHECKPOINTS`` folder, else the
    user cache, so that :func:`find_checkpoint` finds them from any working directory."""
    folders = env_dirs()
    return folders[0] if folders else user_cache_dir()


def checkpoint_dirs() -> list[Path]:
    """The folders searched for checkpoints, in search order (see the module docstring)."""
    return [Path("checkpoints").absolute(), *env_dirs(), user_cache_dir()]


def locate(model: KnownModel) -> Path | None:
    """The first file named ``model.file_name`` in :func:`checkpoint_dirs`, or ``None``."""
    for folder in checkpoint_dirs():
        candidate = folder / model.file_name
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class CheckpointStatus:
    """One official model and where its checkpoint is.

    Attributes:
        model: the official model.
        path: the file found (see :func:`locate`), or ``None`` when it is missing.
        size: bytes: the official size, else the found file's, else ``None``.
    """

    model: KnownModel
    path: Path | None
    size: int | None


def list_checkpoints() -> list[CheckpointStatus]:
    """Every official model with where its checkpoint is (what ``vfx checkpoints list`` shows)."""
    statuses = []
    for model in MODELS.values():
        found = locate(model)
        size = model.official_bytes
        if size is None and found is not None:
            size = found.stat().st_size
        statuses.append(CheckpointStatus(model, found, size))
    return statuses


def find_checkpoint(model_name: str, path: str | Path | None = None) -> Path:
    """The checkpoint file to load for ``model_name``.

    Args:
        model_name: any accepted spelling (``sam2.1-tiny``, ``sam2.1_hiera_t.yaml``...).
        path: an explicit checkpoint file, or a folder holding the official file name; it
            takes precedence over the search folders.

    Raises:
        VfxError: the model name is unknown, the explicit path does not exist, or no search
            folder holds the file; the last message gives the exact download command.
    """
    model = resolve_model(model_name)
    if path is not None:
        explicit = Path(path).expanduser()
        if explicit.is_dir():
            explicit = explicit / model.file_name
        if not explicit.is_file():
            raise VfxError(
                f"checkpoint {explicit} does not exist; check the path, or drop --checkpoint "
                f"and run `{model.download_command}`"
            )
        return explicit
    found = locate(model)
    if found is None:
        searched = ", ".join(str(folder) for folder in checkpoint_dirs())
        raise VfxError(
            f"checkpoint {model.file_name} for {model.short_name} not found in {searched}; "
            f"download it with: {model.download_command}"
        )
    return found
