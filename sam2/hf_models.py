"""Official Hugging Face model ids (``facebook/sam2.1-hiera-tiny`` ...) -> local checkpoints."""

from __future__ import annotations

import re
from pathlib import Path

_HF_ID = re.compile(r"^facebook/(sam2(?:\.1)?)-hiera-(tiny|small|base-plus|large)$")


def checkpoint_name(model_id: str) -> str:
    """The checkpoint-style model name (a valid ``config_file``) of an official model id."""
    match = _HF_ID.match(model_id)
    if match is None:
        raise ValueError(
            f"unknown SAM 2 model id {model_id!r}; use facebook/sam2[.1]-hiera-"
            "tiny|small|base-plus|large"
        )
    version, size = match.groups()
    return f"{version}_hiera_{size.replace('-', '_')}"


def download_checkpoint(model_id: str) -> tuple[str, Path]:
    """``(model name, local path)`` of the official checkpoint, fetched with huggingface_hub."""
    name = checkpoint_name(model_id)
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise ImportError(
            "from_pretrained needs huggingface_hub (pip install huggingface_hub), or download "
            "the checkpoint yourself and use build_sam2(name, path)"
        ) from exc
    return name, Path(hf_hub_download(repo_id=model_id, filename=f"{name}.pt"))
