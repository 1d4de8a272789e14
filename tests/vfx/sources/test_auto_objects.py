"""``--auto [FRAME:]MODE``: parsing, choosing among numbered candidates, mask prompts."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.sources.auto_candidates import number_candidates
from vfx.sources.auto_objects import (
    AutoSpec,
    candidate_prompts,
    check_auto,
    choose_candidates,
    parse_auto,
)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("largest", AutoSpec(0, "largest")),
        ("12:center", AutoSpec(12, "center")),
        ("all", AutoSpec(0, "all")),
        ("all:0.05", AutoSpec(0, "all", min_area=0.05)),
        ("3:all:0.1", AutoSpec(3, "all", min_area=0.1)),
        ("ids:3,5", AutoSpec(0, "ids", ids=(3, 5))),
        ("7:IDS:2", AutoSpec(7, "ids", ids=(2,))),
    ],
)
def test_parse_auto(text, spec):
    assert parse_auto(text) == spec


def test_parse_auto_default_frame_is_given_by_the_caller():
    assert parse_auto("largest", default_frame=9).frame == 9
    assert parse_auto("2:largest", default_frame=9).frame == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("biggest", "the mode must be one of largest, center, all, ids"),
        ("3", "the mode must be one of"),
        ("largest:2", "'largest' takes no value"),
        ("all:big", "MIN_AREA must be a number, got 'big'"),
        ("all:1.5", "MIN_AREA is a fraction of the frame in [0, 1), got 1.5"),
        ("ids", "'ids' needs candidate numbers"),
        ("ids:2,x", "candidate numbers must be whole numbers"),
        ("ids:0,2", "candidate numbers start at 1 and may not repeat"),
        ("ids:2,2", "candidate numbers start at 1 and may not repeat"),
    ],
)
def test_parse_auto_errors_name_the_problem_and_the_syntax(text, message):
    with pytest.raises(VfxError) as info:
        parse_auto(text)
    assert message in info.value.message
    assert "--auto [FRAME:]largest|center|all[:MIN_AREA]|ids:N,N" in info.value.message


def test_auto_excludes_other_mask_sources():
    assert check_auto(None, ["prompt"]) is None
    assert check_auto("largest") == AutoSpec(0, "largest")
    with pytest.raises(VfxError, match="--auto picks the objects itself"):
        check_auto("largest", None, "green")


def _records() -> list[dict]:
    """Three generator records on a 20x30 frame: a big frame-wide block, a small square off
    centre, and a middle-sized square over the centre (in that generator order)."""

    def record(y0, y1, x0, x1, score):
        mask = np.zeros((20, 30), dtype=bool)
        mask[y0:y1, x0:x1] = True
        return {"segmentation": mask, "area": int(mask.sum()), "bbox": [x0, y0, x1 - x0 - 1,
                y1 - y0 - 1], "predicted_iou": score, "stability_score": 0.96}  # fmt: skip

    return [record(0, 20, 0, 20, 0.90), record(0, 3, 25, 28, 0.95), record(6, 14, 11, 19, 0.93)]


def test_candidates_are_numbered_by_area_largest_first():
    candidates = number_candidates(_records())
    assert [c.id for c in candidates] == [1, 2, 3]
    assert [c.area for c in candidates] == [400, 64, 9]
    assert candidates[1].score == 0.93


def test_choosing_each_mode():
    candidates = number_candidates(_records())
    ids = lambda spec: [c.id for c in choose_candidates(candidates, spec)]  # noqa: E731
    assert ids(AutoSpec(0, "largest")) == [1]
    # the centre pixel (10, 15) is in candidates 1 and 2; 2 has the better score
    assert ids(AutoSpec(0, "center")) == [2]
    assert ids(AutoSpec(0, "all")) == [1, 2, 3]
    assert ids(AutoSpec(0, "all", min_area=0.1)) == [1, 2]  # 60 of 600 pixels
    assert ids(AutoSpec(0, "ids", ids=(3, 1))) == [3, 1]


def test_center_falls_back_to_the_nearest_candidate():
    candidates = number_candidates(_records()[1:2] + _records()[2:3])
    candidates[1].mask[10, 15] = False  # nothing covers the centre now
    assert choose_candidates(candidates, AutoSpec(0, "center"))[0].id == 1


def test_choosing_nothing_is_an_error():
    candidates = number_candidates(_records())
    with pytest.raises(VfxError, match="has candidates 1 to 3, not 4, 7; run `vfx segment`"):
        choose_candidates(candidates, AutoSpec(0, "ids", ids=(4, 2, 7)))
    with pytest.raises(VfxError, match=r"no candidate on frame 5 covers 0\.9 of the frame"):
        choose_candidates(candidates, AutoSpec(5, "all", min_area=0.9))
    with pytest.raises(VfxError, match="found no objects on frame 2"):
        choose_candidates([], AutoSpec(2, "largest"))


def test_chosen_candidates_become_mask_prompts_for_objects_1_2():
    candidates = number_candidates(_records())
    prompts = candidate_prompts([candidates[2], candidates[0]], frame=4)
    assert [(p.id, p.name) for p in prompts] == [(1, "auto3"), (2, "auto1")]
    assert [fp.frame for p in prompts for fp in p.prompts] == [4, 4]
    np.testing.assert_array_equal(prompts[0].prompts[0].mask, candidates[2].mask)
    assert prompts[0].prompts[0].points is None and prompts[0].prompts[0].box is None
