"""Prompt parsing from the command line and prompt files, and checks against the video."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.prompts.parsing import (
    parse_box,
    parse_point,
    parse_prompts,
    prompts_identity,
    validate_prompts,
)


def test_parse_point_defaults_to_object_1_positive():
    assert parse_point("0:320,240") == (0, 1, [320.0, 240.0], 1)


def test_parse_point_with_object_and_negative_label():
    assert parse_point("12:80.5,60:2:neg") == (12, 2, [80.5, 60.0], 0)
    assert parse_point("3:1,2:neg") == (3, 1, [1.0, 2.0], 0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("320,240", "cannot read point"),
        ("a:1,2", "frame must be a whole number"),
        ("-1:1,2", "must not be negative"),
        ("0:1", "needs 2 comma-separated numbers"),
        ("0:1,2:0", "object ids start at 1"),
        ("0:1,nan", "needs 2 comma-separated numbers"),
    ],
)
def test_bad_points_name_the_syntax(text, fragment):
    with pytest.raises(VfxError, match=fragment) as info:
        parse_point(text)
    assert "FRAME:X,Y" in info.value.message
    assert "\n" not in info.value.message


def test_parse_box_with_object():
    assert parse_box("5:10,20,110,220:3") == (5, 3, [10.0, 20.0, 110.0, 220.0])
    with pytest.raises(VfxError, match="needs 4 comma-separated numbers"):
        parse_box("5:10,20,110")


def test_points_and_box_on_one_frame_merge_per_object():
    objects = parse_prompts(
        points=["0:10,20", "0:30,40:neg", "4:5,5:2"], boxes=["0:1,2,50,60", "4:0,0,9,9:2"]
    )
    assert [o.id for o in objects] == [1, 2]
    first = objects[0].prompts
    assert len(first) == 1
    assert first[0].frame == 0
    assert first[0].points == [[10.0, 20.0], [30.0, 40.0]]
    assert first[0].labels == [1, 0]
    assert first[0].box == [1.0, 2.0, 50.0, 60.0]
    assert objects[1].name == "obj2"
    assert objects[1].prompts[0].frame == 4


def test_two_boxes_for_one_object_frame_is_an_error():
    with pytest.raises(VfxError, match="only one box"):
        parse_prompts(boxes=["0:1,2,5,6", "0:2,3,7,8"])


def test_prompt_file_json_with_names_labels_boxes_and_masks(tmp_path):
    mask = np.zeros((24, 32), np.uint8)
    mask[4:10, 5:15] = 255
    cv2.imwrite(str(tmp_path / "dog_003.png"), mask)
    spec = {
        "objects": [
            {
                "id": 2,
                "name": "dog",
                "prompts": [
                    {"frame": 0, "points": [[3, 4], [5, 6]], "labels": [1, 0]},
                    {"frame": 2, "box": [1, 2, 20, 22]},
                    {"frame": 3, "mask": "dog_003.png"},
                ],
            }
        ]
    }
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps(spec))
    (obj,) = parse_prompts(prompts_file=path, points=["1:7,8:2"])
    assert (obj.id, obj.name) == (2, "dog")
    assert [p.frame for p in obj.prompts] == [0, 1, 2, 3]
    assert obj.prompts[0].labels == [1, 0]
    assert obj.prompts[2].box == [1.0, 2.0, 20.0, 22.0]
    assert obj.prompts[3].mask.dtype == bool
    assert obj.prompts[3].mask.sum() == 6 * 10
    validate_prompts([obj], width=32, height=24, frame_count=4)


def test_prompt_file_yaml_labels_default_to_positive(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("objects:\n  - id: 1\n    prompts:\n      - {frame: 0, points: [[1, 2]]}\n")
    (obj,) = parse_prompts(prompts_file=path)
    assert obj.prompts[0].labels == [1]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("objects: [", "has a YAML syntax error at line 1"),
        ("{}", "needs an 'objects' list"),
        ('{"objects": [{"id": 0, "prompts": []}]}', "ids are whole numbers from 1"),
        ('{"objects": [{"id": 1, "prompts": [{"points": [[1, 2]]}]}]}', "needs a 'frame'"),
        ('{"objects": [{"id": 1, "prompts": [{"frame": 0, "clicks": 1}]}]}', "unknown prompt keys"),
        (
            '{"objects":[{"id":1,"prompts":[{"frame":0,"points":[[1,2]],"labels":[3]}]}]}',
            "'labels'",
        ),
        (
            '{"objects": [{"id": 1, "prompts": [{"frame": 0, "mask": "nope.png"}]}]}',
            "cannot read mask",
        ),
        (
            '{"objects": [{"id": 1, "prompts": [{"frame": 0}]}]}',
            "give 'points', a 'box' or a 'mask'",
        ),
    ],
)
def test_bad_prompt_files_are_one_line_errors(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(VfxError, match=fragment) as info:
        parse_prompts(prompts_file=path)
    assert "\n" not in info.value.message


def test_missing_prompt_file(tmp_path):
    with pytest.raises(VfxError, match="does not exist"):
        parse_prompts(prompts_file=tmp_path / "nope.json")


def test_point_outside_the_frame_names_the_valid_range():
    objects = parse_prompts(points=["0:320,10"])
    with pytest.raises(VfxError, match=r"outside the 320x240 frame; use x from 0 to 319"):
        validate_prompts(objects, width=320, height=240, frame_count=10)
    validate_prompts(parse_prompts(points=["0:319.5,239"]), width=320, height=240, frame_count=10)


def test_prompt_beyond_the_last_frame():
    objects = parse_prompts(points=["10:5,5"])
    with pytest.raises(VfxError, match=r"beyond the last frame \(9\) of this 10-frame video"):
        validate_prompts(objects, width=320, height=240, frame_count=10)


def test_box_must_be_ordered_and_inside():
    with pytest.raises(VfxError, match="0 <= x0 < x1 <= 320"):
        validate_prompts(parse_prompts(boxes=["0:50,10,40,20"]), 320, 240, 5)
    with pytest.raises(VfxError, match="0 <= y0 < y1 <= 240"):
        validate_prompts(parse_prompts(boxes=["0:0,0,10,241"]), 320, 240, 5)


def test_identity_is_stable_and_sensitive_to_changes():
    a = prompts_identity(parse_prompts(points=["0:10,20", "0:30,40:neg"]))
    b = prompts_identity(parse_prompts(points=["0:10,20", "0:30,40:neg"]))
    c = prompts_identity(parse_prompts(points=["0:10,21", "0:30,40:neg"]))
    assert a == b
    assert a != c
    assert a[0]["prompts"][0] == {
        "frame": 0,
        "points": [[10.0, 20.0], [30.0, 40.0]],
        "labels": [1, 0],
    }
    json.dumps(a)
