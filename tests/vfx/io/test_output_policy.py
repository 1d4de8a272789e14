"""The output policy: what --force may replace, checked up front and again at the rename."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.output_policy import OUTPUT_MARKER, check_output_path, foreign_entry


def _vfx_folder(path: Path) -> Path:
    with atomic_output(path, directory=True) as tmp:
        (tmp / "00000.png").write_bytes(b"png")
    return path


def test_marker_lists_what_vfx_wrote_and_nothing_else_is_replaced(tmp_path: Path) -> None:
    out = _vfx_folder(tmp_path / "seq")
    assert json.loads((out / OUTPUT_MARKER).read_text())["entries"] == ["00000.png"]
    assert foreign_entry(out) is None
    check_output_path(out, force=True, folder=True)
    (out / "mine.txt").write_text("keep")
    with pytest.raises(VfxError, match=r"holds other files \(mine.txt\)"):
        check_output_path(out, force=True, folder=True)
    with pytest.raises(VfxError, match="holds other files"), atomic_output(out, directory=True):
        pass  # the rename re-checks, so the API cannot bypass the policy either
    assert (out / "mine.txt").read_text() == "keep"


def test_pre_marker_vfx_outputs_are_recognised_only_when_untouched(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (store / "objects" / "1").mkdir(parents=True)
    (store / "meta.json").write_text(json.dumps({"format": "vfx-masklets"}))
    assert foreign_entry(store) is None
    (store / "clip.mov").write_bytes(b"footage")
    assert foreign_entry(store) == "clip.mov"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "00000.png").write_bytes(b"a user's frame")
    assert foreign_entry(plain) == "00000.png"


def test_kinds_must_match(tmp_path: Path) -> None:
    folder = tmp_path / "out.mp4"
    folder.mkdir()
    with pytest.raises(VfxError, match="is a folder; --force replaces only a previous file"):
        check_output_path(folder, force=True)
    afile = tmp_path / "frames"
    afile.write_text("x")
    with pytest.raises(VfxError, match="is a file; --force replaces only a previous folder"):
        check_output_path(afile, force=True, folder=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    check_output_path(empty, force=True, folder=True)


def test_inputs_inside_or_around_the_output_are_refused(tmp_path: Path) -> None:
    (tmp_path / "shot").mkdir()
    clip = tmp_path / "shot" / "clip.mp4"
    clip.write_bytes(b"v")
    with pytest.raises(VfxError, match="contains the input"):
        check_output_path(tmp_path / "shot", force=True, inputs=(clip,), folder=True)
    with pytest.raises(VfxError, match="lies inside the input folder"):
        check_output_path(tmp_path / "shot" / "out", force=True, inputs=(tmp_path / "shot",))


def test_output_folder_must_be_writable(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(VfxError, match="is not a folder"):
        check_output_path(tmp_path / "f" / "o.mp4", force=False)
    with pytest.raises(VfxError, match="does not exist; create it first"):
        check_output_path(tmp_path / "nope" / "o.mp4", force=False)
