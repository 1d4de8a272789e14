"""Cache keys and video content hashes: stable for equal inputs, different otherwise."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.masks import default_cache_root, masklet_cache_key, video_content_hash
from vfx.masks.cache_key import tracking_arithmetic
from vfx.prompts import prompts_identity
from vfx.prompts.parsing import parse_prompts


def test_key_ignores_key_order_and_container_types() -> None:
    a = masklet_cache_key(
        "h", {"objects": [{"id": 1, "points": [(320, 240)]}]}, "tiny", {"a": 1, "b": 2}
    )
    b = masklet_cache_key(
        "h",
        {"objects": [{"points": [[320.0, 240.0]], "id": np.int64(1)}]},
        "tiny",
        {"b": 2, "a": 1},
    )
    assert a == b
    assert re.fullmatch(r"[0-9a-f]{32}", a)


def test_key_changes_with_each_input() -> None:
    base = masklet_cache_key("h", {"p": [1]}, "tiny", {})
    assert masklet_cache_key("h2", {"p": [1]}, "tiny", {}) != base
    assert masklet_cache_key("h", {"p": [2]}, "tiny", {}) != base
    assert masklet_cache_key("h", {"p": [1]}, "large", {}) != base
    assert masklet_cache_key("h", {"p": [1]}, "tiny", {"image_size": 512}) != base


def test_key_rejects_non_data() -> None:
    with pytest.raises(VfxError, match="cache key"):
        masklet_cache_key("h", {"p": object()}, "tiny", {})


def test_content_hash_follows_content_not_name(tmp_path: Path) -> None:
    data = np.random.default_rng(0).integers(0, 256, 3_000_000, dtype=np.uint8).tobytes()
    (tmp_path / "a.mp4").write_bytes(data)
    (tmp_path / "b.mp4").write_bytes(data)
    changed = bytearray(data)
    changed[0] ^= 1
    (tmp_path / "c.mp4").write_bytes(bytes(changed))
    first = video_content_hash(tmp_path / "a.mp4")
    assert first == video_content_hash(tmp_path / "b.mp4")
    assert first != video_content_hash(tmp_path / "c.mp4")
    (tmp_path / "small.mp4").write_bytes(b"tiny file")
    assert video_content_hash(tmp_path / "small.mp4") != first
    with pytest.raises(VfxError, match="cannot read"):
        video_content_hash(tmp_path / "missing.mp4")


def test_default_cache_root_honours_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VFX_CACHE_DIR", str(tmp_path / "cache"))
    assert default_cache_root() == tmp_path / "cache"
    monkeypatch.delenv("VFX_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_root() == tmp_path / "xdg" / "vfx" / "masklets"


def test_object_names_are_not_in_the_key_but_ids_are() -> None:
    """A name is a label: renaming an object must find its masklets; its id is what tracks."""
    objects = parse_prompts(points=["0:30,30", "0:60,40:2"])
    renamed = [dataclasses.replace(objects[0], name="hero"), objects[1]]
    renumbered = [dataclasses.replace(objects[0], id=3), objects[1]]
    assert prompts_identity(renamed) != prompts_identity(objects)  # the names do differ

    def key(prompts) -> str:
        return masklet_cache_key("h", prompts_identity(prompts), "tiny", {})

    assert key(renamed) == key(objects)
    assert key(renumbered) != key(objects)


def test_arithmetic_keys_the_cache() -> None:
    """A CUDA run under bf16 autocast, a CPU fp32 run and a CPU bf16 run are three entries."""
    cpu_fp32 = tracking_arithmetic("cpu", "fp32", None)
    settings = [
        cpu_fp32,
        tracking_arithmetic("cpu", "bf16", None),
        tracking_arithmetic("cuda", "fp32", "bf16"),
        tracking_arithmetic("cuda", "fp32", None),
        tracking_arithmetic("mps", "fp32", None),
    ]
    keys = {masklet_cache_key("h", {"p": [1]}, "tiny", s) for s in settings}
    assert len(keys) == len(settings)
    assert cpu_fp32 == {"device": "cpu", "precision": "fp32", "autocast": "none"}
