"""Manifests: defaults, relative paths, JSON and YAML, aliases refused, the quick form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vfx.batch.manifest import job_from_entry, load_manifest, quick_entries
from vfx.errors import VfxError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_merge_and_paths_resolve_against_the_manifest(tmp_path: Path):
    manifest = load_manifest(_write(tmp_path / "sub" / "jobs.yaml", """
defaults: {preset: background-blur, model: sam2.1_hiera_tiny, export: {format: png, output: x}}
jobs:
  - {input: clips/a.mp4, output: out/a.mp4, point: "0:10,20", set: ["0.radius=31"]}
  - {input: /abs/b.mp4, preset: cutout-alpha, masks: "labels:m/b/", export: {output: out/b}}
"""))
    first = job_from_entry(1, manifest.entries[0], manifest.base_dir, overwrite=False)
    second = job_from_entry(2, manifest.entries[1], manifest.base_dir, overwrite=False)
    base = (tmp_path / "sub").resolve()
    assert first.input == base / "clips/a.mp4" and first.output == base / "out/a.mp4"
    assert first.points == ("0:10,20",) and first.overrides == ("0.radius=31",)
    assert first.preset == "background-blur" and first.model == "sam2.1_hiera_tiny"
    assert first.tracks and not second.tracks
    assert second.input == Path("/abs/b.mp4") and second.preset == "cutout-alpha"
    assert second.masks == f"labels:{base / 'm/b'}"
    assert second.export is not None and second.export.format == "png"  # merged with defaults
    assert second.export.output == base / "out/b"
    assert second.outputs == [base / "out/b"]


def test_json_manifest(tmp_path: Path):
    data = {"jobs": [{"input": "a.mp4", "output": "a_out.mp4", "chroma": "green",
                      "chunk_frames": 10}]}  # fmt: skip
    manifest = load_manifest(_write(tmp_path / "jobs.json", json.dumps(data)))
    job = job_from_entry(1, manifest.entries[0], manifest.base_dir, overwrite=True)
    assert job.chunk_frames == 10 and job.chroma == "green" and job.overwrite


def test_yaml_aliases_are_refused(tmp_path: Path):
    text = "defaults: &d {preset: background-blur}\njobs:\n  - *d\n"
    with pytest.raises(VfxError, match=r"uses a YAML alias \(\*d\) at line 3"):
        load_manifest(_write(tmp_path / "jobs.yaml", text))


def test_python_tags_are_refused(tmp_path: Path):
    text = "jobs:\n  - !!python/object/apply:os.system ['echo hi']\n"
    with pytest.raises(VfxError, match="YAML syntax error"):
        load_manifest(_write(tmp_path / "jobs.yaml", text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jobs: []\n", "non-empty 'jobs'"),
        ("jobs: [{input: a.mp4}]\nextra: 1\n", "unknown key 'extra'"),
        ("jobs: [{input: a.mp4}\n", "YAML syntax error at line"),
    ],
)
def test_malformed_manifests_fail_in_one_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(VfxError, match=message):
        load_manifest(_write(tmp_path / "jobs.yaml", text))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"input": "a.mp4", "ouput": "x.mp4"}, "unknown key 'ouput'"),
        ({"output": "x.mp4"}, "no 'input'"),
        ({"input": "a.mp4", "chunk_frames": 0}, "chunk_frames must be"),
        ({"input": "a.mp4", "point": [1, 2]}, "point takes a string"),
        ({"input": "a.mp4", "export": {"format": "png"}}, "export needs"),
        ({"input": "a.mp4", "export": {"format": "png", "output": "o", "dpi": 3}}, "'dpi'"),
    ],
)
def test_a_bad_job_entry_names_the_problem(tmp_path: Path, entry: dict, message: str):
    with pytest.raises(VfxError, match=message):
        job_from_entry(1, entry, tmp_path, overwrite=False)


def test_quick_form_fills_the_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    for name in ("b.mp4", "a.mp4"):
        _write(tmp_path / "clips" / name, "")
    options = {"preset": "background-blur", "chroma": "green", "masks": None, "set": ()}
    manifest = quick_entries("clips/*.mp4", "out/{stem}_{index}.mp4", options)
    assert [e["input"] for e in manifest.entries] == ["clips/a.mp4", "clips/b.mp4"]
    assert [e["output"] for e in manifest.entries] == ["out/a_1.mp4", "out/b_2.mp4"]
    assert "masks" not in manifest.entries[0] and "set" not in manifest.entries[0]


@pytest.mark.parametrize(
    ("pattern", "output", "message"),
    [
        ("nothing/*.mp4", "o/{stem}.mp4", "no file matches"),
        ("clips/*.mp4", "o/{stem.__class__}.mp4", r"names \{stem.__class__\}"),
        ("clips/*.mp4", "o/same.mp4", "every job's output"),
        ("clips/*.mp4", None, "give -o OUTPUT"),
    ],
)
def test_quick_form_mistakes(tmp_path: Path, monkeypatch, pattern, output, message):
    monkeypatch.chdir(tmp_path)
    for name in ("a.mp4", "b.mp4"):
        _write(tmp_path / "clips" / name, "")
    with pytest.raises(VfxError, match=message):
        quick_entries(pattern, output, {"preset": "background-blur"})
