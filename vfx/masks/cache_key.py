"""What identifies a set of masklets: the video's content, the prompts, the model, the settings.

"Track once, render many" looks a finished masklet store up by a key made only
of what changes the tracker's output. The video is identified by a fast content
hash (its size plus evenly spaced samples of its bytes), so renaming or copying
a file still finds its masklets, while re-encoding it does not.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from vfx.errors import VfxError

# Bytes read per sample and number of samples spread evenly over the file.
_SAMPLE_BYTES = 1 << 16
_SAMPLES = 16
_KEY_VERSION = 2  # 2: object names left out; device, precision and autocast in the settings


def video_content_hash(path: str | Path) -> str:
    """A fast content hash of a file: blake2b over its size and 16 evenly spaced 64 KiB samples.

    Files up to 1 MiB are hashed whole. Returns 32 hex digits.
    Raises :class:`VfxError` when the file cannot be read.
    """
    file = Path(path)
    try:
        size = file.stat().st_size
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"size:{size};".encode())
        with file.open("rb") as handle:
            if size <= _SAMPLES * _SAMPLE_BYTES:
                digest.update(handle.read())
            else:
                last = size - _SAMPLE_BYTES
                for i in range(_SAMPLES):
                    handle.seek(last * i // (_SAMPLES - 1))
                    digest.update(handle.read(_SAMPLE_BYTES))
    except OSError as exc:
        raise VfxError(
            f"cannot read {file} to identify it ({exc.strerror}); check the path"
        ) from exc
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """Turn prompts/settings into plain JSON types so that equal inputs give equal text."""
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, np.ndarray):
        return _canonical(value.tolist())
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 320.0 and 320 are the same click
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise VfxError(
        f"cannot use a {type(value).__name__} in a masklet cache key; "
        "pass prompts and settings as plain numbers, strings, lists and dicts"
    )


def canonical_json(value: Any) -> str:
    """Stable JSON text of ``value``: sorted keys, no spaces, tuples as lists, 2.0 as 2."""
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def masklet_cache_key(video_hash: str, prompts: Any, model: str, settings: Any) -> str:
    """The cache key of the masklets that tracking ``video_hash`` with these inputs produces.

    Args:
        video_hash: :func:`video_content_hash` of the source video.
        prompts: the prompts as plain data (lists/dicts of numbers and strings). A ``"name"``
            of an object (a dict in a prompts list) is a label that never changes the masks,
            so it is left out: renaming an object finds its masklets.
        model: the model name (and checkpoint identity, if the caller has one).
        settings: tracker settings that change the masks (not smoothing/refinement,
            which run when masklets are read), e.g. :func:`tracking_arithmetic`.

    Returns:
        32 hex digits, the same for equal inputs whatever their key order or types.
    """
    text = canonical_json(
        {
            "v": _KEY_VERSION,
            "video": video_hash,
            "prompts": _without_names(prompts),
            "model": model,
            "settings": settings,
        }
    )
    return hashlib.blake2b(text.encode("ascii"), digest_size=16).hexdigest()


def tracking_arithmetic(device_type: str, precision: str, autocast: str | None) -> dict[str, str]:
    """The cache-key settings for how SAM 2's arithmetic ran: the device type it ran on
    (``"cpu"``, ``"cuda"``, ``"mps"``), its precision (``"fp32"``, ``"bf16"``) and the autocast
    dtype around it (``"bf16"`` or ``None``). Masks from different arithmetic differ slightly, so
    each keys its own masklets."""
    return {"device": device_type, "precision": precision, "autocast": autocast or "none"}


def _without_names(prompts: Any) -> Any:
    if isinstance(prompts, (list, tuple)):
        return [
            {k: v for k, v in item.items() if k != "name"} if isinstance(item, dict) else item
            for item in prompts
        ]
    return prompts


def default_cache_root() -> Path:
    """Where masklets are cached.

    ``$VFX_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/vfx/masklets``, else
    ``~/.cache/vfx/masklets``.
    """
    explicit = os.environ.get("VFX_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".cache"
    return root / "vfx" / "masklets"
