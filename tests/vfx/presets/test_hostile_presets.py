"""Issue 14: hostile preset and prompt files end quickly, in one line, and write nothing.

The bombs run in a subprocess that reports its peak RSS (``VmHWM``),
so the memory bound is measured, not assumed: each must finish within
:data:`SECONDS` and :data:`PEAK_RSS_MB` (the CLI process alone peaks at about
75 MB here).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.measured_cli import measured_vfx
from tests.vfx.io.clip_makers import write_clip
from vfx.errors import VfxError
from vfx.presets import load_preset
from vfx.safe_yaml import echo, load_yaml

SECONDS = 10.0
PEAK_RSS_MB = 200

# 9 levels of 9 aliases each: 9**9 (387 million) leaves once expanded, from ~1 KB of text.
_BOMB = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n"
    for i in range(10)
)

def _files_under(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*"))


@pytest.mark.parametrize("command", ["show", "render", "prompts"])
def test_alias_bomb_is_refused_fast_in_bounded_memory(tmp_path: Path, command: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_BOMB + "name: bomb\nlayers: [{effect: blur, params: {radius: *l9}}]\n")
    if command == "show":
        args = ["presets", "show", str(bomb)]
    elif command == "render":
        args = ["render", "in.mp4", "-o", "out.mp4", "--preset", str(bomb), "--chroma", "green"]
    else:
        args = ["render", "in.mp4", "-o", "out.mp4", "--preset", "background-blur",
                "--prompts", str(bomb)]  # fmt: skip
    write_clip(tmp_path / "in.mp4")
    before = _files_under(tmp_path)
    result, err = measured_vfx(args, tmp_path)
    assert result["code"] == 1, err
    assert result["seconds"] < SECONDS and result["peak_mb"] < PEAK_RSS_MB, result
    assert "uses a YAML alias (*l0) at line 2" in err, err
    assert err.count("\n") == 1 and len(err) < 300, err
    assert _files_under(tmp_path) == before


def test_deep_nesting_and_huge_documents_are_one_line(monkeypatch, tmp_path: Path) -> None:
    with pytest.raises(VfxError, match="nests deeper than 64 levels") as info:
        load_yaml("a: " + "[" * 5000 + "]" * 5000, "preset deep.yaml")
    assert "\n" not in info.value.message
    monkeypatch.setenv("VFX_MAX_YAML_NODES", "50")
    with pytest.raises(VfxError, match="more than 50 YAML nodes; raise VFX_MAX_YAML_NODES"):
        load_yaml(json.dumps(list(range(100))), "prompt file p.json")
    monkeypatch.setenv("VFX_MAX_YAML_BYTES", "1000")
    with pytest.raises(VfxError, match="has 2003 bytes, more than the limit of 1000"):
        load_yaml("x: " + "a" * 2000, "preset big.yaml")


def test_messages_echo_user_values_bounded(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(
        "name: long\nlayers: [{effect: blur, params: {radius: "
        + json.dumps(["x" * 1000] * 500)
        + "}}]\n"
    )
    with pytest.raises(VfxError) as info:
        load_preset(path)
    assert len(info.value.message) < 400, info.value.message
    assert len(echo("y" * 10_000)) < 80


@pytest.mark.parametrize(
    "name", ["../../../escape", "/tmp/abs", "drifting-lights/../../x", "..", "nope"]
)
def test_asset_names_come_from_the_shipped_list_and_nothing_is_written(
    tmp_path: Path, monkeypatch, name: str
) -> None:
    monkeypatch.setenv("VFX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    preset = tmp_path / "p.yaml"
    preset.write_text(
        "name: p\nlayers:\n  - effect: replace_background\n    region: ~all\n"
        f"    params: {{source: 'asset:{name}'}}\n"
    )
    with pytest.raises(VfxError, match="unknown preset asset") as info:
        load_preset(preset)
    assert "drifting-lights" in info.value.message
    assert _files_under(tmp_path) == [preset]


def test_showing_a_preset_with_a_shipped_asset_writes_nothing(tmp_path: Path) -> None:
    before = _files_under(tmp_path)
    result, err = measured_vfx(["presets", "show", "background-replace-video"], tmp_path)
    assert result["code"] == 0, err
    assert _files_under(tmp_path) == before  # the asset is rendered when a render needs it


def test_set_option_problems_name_the_option_not_the_file() -> None:
    with pytest.raises(VfxError) as info:
        load_preset("background-blur", ["0.radus=31"])
    message = info.value.message
    assert message.startswith("--set 0.radus=31 gives preset background-blur.yaml a problem")
    assert "unknown parameter 'radus'" in message and message.endswith("fix the option")
    assert "fix the preset file" not in message


def test_a_broken_file_is_still_blamed_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nlayers: [{effect: blur, params: {radius: -4}}]\n")
    with pytest.raises(VfxError, match=r"^preset bad.yaml has a problem.*fix the preset file$"):
        load_preset(path, ["0.radius=31"])


def test_yaml_bomb_timing_reference() -> None:
    """The bomb really is one: expanding even a fraction of it is slow (guards the fixture)."""
    import yaml

    small = "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n"
        for i in range(5)
    )
    started = time.perf_counter()
    data = yaml.safe_load(small)
    assert len(json.dumps(data)) > 9**5  # aliases multiply: 9**5 leaves from a few hundred bytes
    assert time.perf_counter() - started < SECONDS
