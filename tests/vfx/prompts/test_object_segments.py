"""Object segments: a leave marker empties an object's masklet until a later prompt."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import vfx
from vfx.demo.synthetic import write_scene_video
from vfx.errors import VfxError
from vfx.prompts.parsing import parse_prompts, prompts_identity


def test_leave_option_and_file_entry_give_the_same_prompts(tmp_path: Path):
    from_cli = parse_prompts(points=["0:10,10", "8:12,12"], leaves=["4"])
    prompts_file = tmp_path / "p.yaml"
    prompts_file.write_text(
        "objects:\n- id: 1\n  prompts:\n"
        "  - {frame: 0, points: [[10, 10]]}\n  - {frame: 4, leave: true}\n"
        "  - {frame: 8, points: [[12, 12]]}\n"
    )
    from_file = parse_prompts(prompts_file=prompts_file)
    assert prompts_identity(from_cli) == prompts_identity(from_file)
    assert prompts_identity(from_cli)[0]["prompts"][1] == {"frame": 4, "leave": True}


def test_absent_from_the_marker_until_the_next_prompt():
    (obj,) = parse_prompts(points=["2:10,10", "8:12,12"], leaves=["5"])
    assert [obj.absent_at(f) for f in range(10)] == [False] * 5 + [True] * 3 + [False] * 2
    (gone,) = parse_prompts(points=["0:5,5:2"], leaves=["3:2"])
    assert gone.id == 2 and gone.absent_at(3) and gone.absent_at(1000) and not gone.absent_at(2)


def test_leave_changes_the_cache_key():
    plain = prompts_identity(parse_prompts(points=["0:10,10"]))
    leaving = prompts_identity(parse_prompts(points=["0:10,10"], leaves=["3"]))
    assert plain != leaving


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"leaves": ["x"]}, "--leave FRAME[:OBJ]"),
        ({"leaves": ["3:1:2"]}, "cannot read leave marker"),
        ({"leaves": ["3:0"]}, "object ids start at 1"),
        ({"leaves": ["3"]}, "only leave markers"),
        ({"points": ["3:1,1"], "leaves": ["3"]}, "cannot share its frame"),
    ],
)
def test_bad_leave_markers_name_the_fix(kwargs, needle):
    with pytest.raises(VfxError, match=re.escape(needle)):
        parse_prompts(**kwargs)


def test_a_leave_entry_with_other_keys_is_refused(tmp_path: Path):
    prompts_file = tmp_path / "p.json"
    prompts_file.write_text(
        '{"objects": [{"id": 1, "prompts": [{"frame": 0, "points": [[1, 1]]},'
        ' {"frame": 2, "leave": true, "box": [0, 0, 4, 4]}]}]}'
    )
    with pytest.raises(VfxError, match="a leave marker is"):
        parse_prompts(prompts_file=prompts_file)


def test_tracked_masklet_is_empty_while_the_object_is_gone(random_checkpoint: Path, tmp_path: Path):
    """Real SAM 2 tracking (random tiny weights): frames 2..3 empty, frames 4.. back."""
    video = tmp_path / "tiny.mp4"
    write_scene_video(video, 64, 48, 6, 24)
    prompts = parse_prompts(points=["0:20,20", "4:22,20"], leaves=["2"])
    store = vfx.track(video, prompts, checkpoint=random_checkpoint, cache_dir=tmp_path / "c",
                      progress=False)  # fmt: skip
    probs = np.stack([masks[1] for _, masks in store.iter_masks()])  # [T, H, W]
    assert probs.shape == (6, 48, 64)
    assert np.all(probs[2:4] == 0)
    for frame in (0, 1, 4, 5):
        assert (probs[frame] > 0.5).any(), frame
