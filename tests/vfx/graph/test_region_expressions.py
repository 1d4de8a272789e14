"""The region language: parsing, precedence, arithmetic, and hostile input."""

from __future__ import annotations

import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.graph import parse_region
from vfx.graph.region_expressions import MAX_DEPTH, MAX_LENGTH, MAX_TERMS
from vfx.masks import feather_mask, grow_mask, shrink_mask


def _masks() -> dict[str | int, np.ndarray]:
    a = np.array([[0.0, 0.25, 0.5, 1.0]], np.float32)
    b = np.array([[1.0, 0.5, 0.5, 0.0]], np.float32)
    return {"a": a, "b": b, 1: a, 2: b}


def _eval(text: str) -> np.ndarray:
    return parse_region(text).evaluate(_masks())


def test_operators_match_hand_computed_values() -> None:
    np.testing.assert_allclose(_eval("a"), [[0.0, 0.25, 0.5, 1.0]])
    np.testing.assert_allclose(_eval("~a"), [[1.0, 0.75, 0.5, 0.0]])
    np.testing.assert_allclose(_eval("a | b"), [[1.0, 0.5, 0.5, 1.0]])
    np.testing.assert_allclose(_eval("a & b"), [[0.0, 0.25, 0.5, 0.0]])
    np.testing.assert_allclose(_eval("a - b"), [[0.0, 0.125, 0.25, 1.0]])
    np.testing.assert_allclose(_eval("obj:2"), _masks()["b"])
    np.testing.assert_allclose(_eval("all"), [[1.0, 0.5, 0.5, 1.0]])
    np.testing.assert_allclose(_eval("frame"), [[1, 1, 1, 1]])
    np.testing.assert_allclose(_eval("none"), [[0, 0, 0, 0]])
    assert _eval("a | b").dtype == np.float32


def test_precedence_and_associativity() -> None:
    # ~ binds tighter than &, which binds tighter than |.
    np.testing.assert_allclose(
        _eval("~a & b | a"), np.maximum(np.minimum(1 - _eval("a"), _eval("b")), _eval("a"))
    )
    np.testing.assert_allclose(
        _eval("a | b & ~b"), np.maximum(_eval("a"), np.minimum(_eval("b"), 1 - _eval("b")))
    )
    # - is left-associative: (a - b) - b.
    np.testing.assert_allclose(_eval("a - b - b"), [[0.0, 0.0625, 0.125, 1.0]])
    np.testing.assert_allclose(_eval("a - (b - b)"), [[0.0, 0.1875, 0.375, 1.0]])
    np.testing.assert_allclose(_eval("~~a"), _eval("a"))
    np.testing.assert_allclose(_eval("( (a) )"), _eval("a"))


def test_functions_use_the_mask_morphology() -> None:
    square = np.zeros((21, 21), np.float32)
    square[8:13, 8:13] = 1.0
    masks = {"s": square}
    np.testing.assert_array_equal(parse_region("grow(s, 3)").evaluate(masks), grow_mask(square, 3))
    np.testing.assert_array_equal(
        parse_region("shrink(s,1)").evaluate(masks), shrink_mask(square, 1)
    )
    np.testing.assert_array_equal(
        parse_region("feather(s, 2.5)").evaluate(masks), feather_mask(square, 2.5)
    )
    grown = parse_region("grow(s, 3) - s").evaluate(masks)
    assert grown[10, 10] == 0.0 and grown[10, 6] == 1.0 and grown[10, 2] == 0.0


def test_region_reports_what_it_needs() -> None:
    region = parse_region("grow(subject, 4) | obj:3 & ~hands - obj:12")
    assert region.names == {"subject", "hands"}
    assert region.object_ids == {3, 12}
    assert str(region) == "grow(subject, 4) | obj:3 & ~hands - obj:12"
    assert parse_region("frame").is_frame and not parse_region("all").is_frame


def test_evaluation_never_modifies_inputs() -> None:
    masks = _masks()
    copies = {k: v.copy() for k, v in masks.items()}
    texts = ("~a", "a | b", "a & b", "a - b", "all", "~all", "grow(a, 1)", "feather(b, 3)")
    texts += ("~(a | b)", "a - b - b", "~~a", "(a & b) | ~a", "~obj:1 - ~b", "b - (a | ~b)")
    for text in texts:
        parse_region(text).evaluate(masks)
    single = {1: masks[1]}
    assert parse_region("all").evaluate(single) is masks[1]  # no copy for one object
    np.testing.assert_allclose(parse_region("~all").evaluate(single), 1 - copies[1])
    for key, value in masks.items():
        np.testing.assert_array_equal(value, copies[key])


@pytest.mark.parametrize(
    ("text", "column", "problem"),
    [
        ("a & (b | c", 11, "expected ')' to close the '(' at column 5, found end of input"),
        ("a | b)", 6, "unbalanced ')'"),
        ("a |", 4, "expected a mask name, obj:N, all, ~ or (, found end of input"),
        ("a b", 3, "expected an operator (| & -) or the end, found 'b'"),
        ("a + b", 3, "unexpected character '+'"),
        ("obj:", 5, "expected an object id"),
        ("obj:1.5", 5, "expected an object id"),
        ("blur(a, 3)", 5, "'blur' is not a function (use grow, shrink, feather)"),
        ("grow(a)", 7, "expected ',' and a pixel count in grow(mask, px)"),
        ("grow(a, -3)", 10, "pixel count must be in 0..2000"),
        ("grow(a, 1e9)", 10, "expected ')' to close the '(' at column 5, found 'e9'"),
        ("feather(a, 99999)", 12, "pixel count must be in 0..2000"),
        ("grow a", 6, "expected '(' after grow"),
        ("sübject", 2, "unexpected character 'ü'"),
        ("__import__(os)", 11, "'__import__' is not a function"),
        ("__import__('os')", 12, 'unexpected character "\'"'),
        ("a\n|\n+", 5, "unexpected character '+'"),
        ("obj:1 | b;", 10, "unexpected character ';'"),
    ],
)
def test_errors_point_at_the_offending_column(text: str, column: int, problem: str | None) -> None:
    with pytest.raises(VfxError) as info:
        parse_region(text)
    message = str(info.value)
    assert message.startswith(f"bad region at column {column}: ")
    if problem is not None:
        assert problem in message
    assert "\n" not in message and "\r" not in message


def test_obj_without_colon_is_a_plain_name_error() -> None:
    # 'obj1' is an ordinary (unknown) name; 'obj' alone needs ':N'.
    assert parse_region("obj1").names == {"obj1"}
    with pytest.raises(VfxError, match="expected ':' after obj"):
        parse_region("obj 1")


def test_hostile_inputs_are_rejected_cleanly() -> None:
    with pytest.raises(VfxError, match=f"longer than the limit of {MAX_LENGTH}"):
        parse_region("a|" * MAX_LENGTH + "a")
    with pytest.raises(VfxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        parse_region("(" * 100 + "a" + ")" * 100)
    with pytest.raises(VfxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        parse_region("~" * 500 + "a")
    with pytest.raises(VfxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        parse_region("grow(" * 60 + "a" + ", 1)" * 60)
    with pytest.raises(VfxError, match=f"more than {MAX_TERMS} masks"):
        parse_region(" | ".join(["a"] * (MAX_TERMS + 1)))
    with pytest.raises(VfxError, match="it is empty"):
        parse_region("   ")
    with pytest.raises(VfxError, match="must be a string"):
        parse_region(42)  # type: ignore[arg-type]
    with pytest.raises(VfxError, match="must be a string"):
        parse_region(["subject"])  # type: ignore[arg-type]
    for text in ("\x00", "a\u202eb", "😀", "a & \\", "{a}", "a.b", "'a'", "lambda: a"):
        with pytest.raises(VfxError, match=r"^bad region at column"):
            parse_region(text)
    # Just inside the limits still works (and evaluates without recursion trouble).
    deep = "(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1)
    np.testing.assert_allclose(parse_region(deep).evaluate(_masks()), _masks()["a"])
    wide = " | ".join(["a"] * MAX_TERMS)
    np.testing.assert_allclose(parse_region(wide).evaluate(_masks()), _masks()["a"])


def test_long_expression_errors_show_only_the_neighbourhood() -> None:
    text = "a | " * 200 + "+" + " | a" * 200
    with pytest.raises(VfxError) as info:
        parse_region(text)
    message = str(info.value)
    assert "column 801" in message and len(message) < 300 and "(in '...| a" in message


def test_evaluation_errors() -> None:
    with pytest.raises(
        VfxError, match=r"unknown mask 'subjct' at column 3; available: a, b, obj:1, obj:2"
    ):
        parse_region("~ subjct").evaluate(_masks())
    with pytest.raises(VfxError, match="unknown object 'obj:9'"):
        parse_region("obj:9").evaluate(_masks())
    with pytest.raises(
        VfxError, match="'all' means every tracked object, but there are no object masks"
    ):
        parse_region("all").evaluate({"a": _masks()["a"]})
    with pytest.raises(VfxError, match="mask 'b' is 2x1, but the frame is 4x1"):
        parse_region("a | b").evaluate({"a": _masks()["a"], "b": np.zeros((1, 2), np.float32)})
    with pytest.raises(VfxError, match="needs masks"):
        parse_region("frame").evaluate({})
    np.testing.assert_array_equal(parse_region("frame").evaluate({}, shape=(2, 3)), np.ones((2, 3)))
