"""Layers and graphs: order, regions, blend modes, opacity, alpha, preset specs, doctest."""

from __future__ import annotations

import doctest
from dataclasses import dataclass

import numpy as np
import pytest

import vfx.graph
from effects import Blur, Cutout, Effect, EffectContext, EffectOutput, Recolor, Solid, Spotlight
from vfx.errors import VfxError
from vfx.graph import Graph, Layer, parse_region


def _frame() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)


def _subject() -> np.ndarray:
    mask = np.zeros((24, 32), np.float32)
    mask[6:18, 8:20] = 1.0
    return mask


def test_module_docstring_example_runs() -> None:
    result = doctest.testmod(vfx.graph, verbose=False)
    assert result.attempted >= 8
    assert result.failed == 0


def test_layer_parses_and_validates() -> None:
    layer = Layer(Blur(), region="~subject")
    assert layer.region == parse_region("~subject")
    assert (layer.blend, layer.opacity) == ("normal", 1.0)
    with pytest.raises(VfxError, match="unknown blend mode 'overlay'"):
        Layer(Blur(), blend="overlay")
    with pytest.raises(VfxError, match=r"opacity must be a number in 0..1, got 1.5"):
        Layer(Blur(), opacity=1.5)
    with pytest.raises(VfxError, match="needs an effect object"):
        Layer("blur")  # type: ignore[arg-type]
    with pytest.raises(VfxError, match="bad region at column 3"):
        Layer(Blur(), region="a ? b")
    with pytest.raises(VfxError, match="Graph takes Layer objects"):
        Graph([Blur()])  # type: ignore[list-item]


def test_layers_apply_in_order_with_opacity_and_blend() -> None:
    frame = np.full((4, 4, 3), 200, np.uint8)
    masks = {"left": np.tile(np.array([1, 1, 0, 0], np.float32), (4, 1))}
    red, grey = Solid(color=(255, 0, 0)), Solid(color=(100, 100, 100))
    out = Graph([Layer(red, "left"), Layer(grey, "left", opacity=0.5)]).render_frame(frame, masks)
    # red first, then half grey over it: (255+100)/2, (0+100)/2
    np.testing.assert_allclose(out[0, 0], [177.5, 50, 50], atol=0.5)
    np.testing.assert_array_equal(out[:, 2:], frame[:, 2:])
    # the other order ends grey-ish red at full strength
    out = Graph([Layer(grey, "left", opacity=0.5), Layer(red, "left")]).render_frame(frame, masks)
    np.testing.assert_array_equal(out[0, 0], [255, 0, 0])
    # multiply over 200 grey: 200 * 100 / 255 = 78.4
    out = Graph([Layer(grey, "frame", blend="multiply")]).render_frame(frame, {})
    np.testing.assert_array_equal(out, np.full_like(frame, 78))
    out = Graph([Layer(grey, "frame", blend="screen", opacity=0.0)]).render_frame(frame, {})
    np.testing.assert_array_equal(out, frame)


def test_graph_leaves_inputs_alone_and_matches_effect_apply() -> None:
    frame, subject = _frame(), _subject()
    frame_copy, subject_copy = frame.copy(), subject.copy()
    graph = Graph([Layer(Blur(radius=9), region="~subject"), Layer(Recolor(), region="subject")])
    out = graph.render_frame(frame, {"subject": subject})
    np.testing.assert_array_equal(frame, frame_copy)
    np.testing.assert_array_equal(subject, subject_copy)
    ctx = EffectContext.build({}, size=(32, 24))
    step = Blur(radius=9).apply(frame, 1 - subject, ctx)
    expected = Recolor().apply(step, subject, ctx)
    np.testing.assert_array_equal(out, expected)
    assert not graph.makes_alpha and graph.mask_names == {"subject"}


def test_region_evaluated_from_names_and_objects() -> None:
    frame, subject = _frame(), _subject()
    other = np.zeros_like(subject)
    other[0:4, 0:4] = 1.0
    graph = Graph([Layer(Solid(color="#000000"), region="obj:2 | grown"), Layer(Recolor(), "all")])
    assert graph.object_ids == {2} and graph.mask_names == {"grown"}
    ctx = EffectContext.build({1: subject, 2: other}, frame_index=5)
    out = graph.render_frame(frame, {"grown": np.zeros_like(subject)}, ctx)
    assert (out[0:4, 0:4] == 0).all()
    grey = out[10, 10]
    assert grey[0] == grey[1] == grey[2]  # obj 1 is in 'all', so desaturated
    np.testing.assert_array_equal(out[20, 25], frame[20, 25])
    # int keys in masks work without a context
    out2 = Graph([Layer(Solid(color="#000000"), region="obj:2")]).render_frame(frame, {2: other})
    assert (out2[0:4, 0:4] == 0).all() and (out2[10:, 10:] == frame[10:, 10:]).all()


def test_cutout_makes_rgba_and_later_layers_keep_alpha() -> None:
    frame, subject = _frame(), _subject()
    graph = Graph([Layer(Cutout(), region="subject"), Layer(Recolor(), region="frame")])
    assert graph.makes_alpha
    out = graph.render_frame(frame, {"subject": subject})
    assert out.shape == (24, 32, 4)
    assert (out[..., 3][subject == 1] == 255).all() and (out[..., 3][subject == 0] == 0).all()
    # colours stay (straight alpha), recolored everywhere
    assert (out[..., 0] == out[..., 1]).all()
    half = Graph([Layer(Cutout(), region="subject", opacity=0.5)]).render_frame(
        frame, {"subject": subject}
    )
    assert set(np.unique(half[..., 3])) <= {127, 128, 255}
    # RGBA in -> RGBA out, existing alpha multiplied
    rgba = np.dstack([frame, np.full((24, 32), 100, np.uint8)])
    out = Graph([Layer(Cutout(), region="subject")]).render_frame(rgba, {"subject": subject})
    assert (out[..., 3][subject == 1] == 100).all() and (out[..., 3][subject == 0] == 0).all()
    out = Graph([]).render_frame(rgba)
    np.testing.assert_array_equal(out, rgba)


def test_from_specs_reports_every_layer_problem() -> None:
    specs = [
        {"effect": "blur", "region": "~subject", "params": {"radius": 21}},
        {"effect": "blurr", "region": "a & (b", "opacity": 2},
        {"effect": "recolor", "params": {"hue": 500, "sparkle": 1}, "blend": "dodge", "mask": "x"},
    ]
    with pytest.raises(VfxError) as info:
        Graph.from_specs(specs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("layer 1: unknown effect 'blurr'; did you mean 'blur'?")
    assert (
        "bad region at column 7" in message and "opacity must be a number in 0..1, got 2" in message
    )
    assert "layer 2: unknown key mask (allowed: effect, params, region, blend, opacity)" in message
    assert "effect 'recolor': unknown parameter 'sparkle'" in message
    assert "'hue': expected a number in -180..180, got 500" in message
    assert "unknown blend mode 'dodge'" in message
    assert "layer 0" not in message
    graph = Graph.from_specs(specs[:1])
    assert graph.layers[0] == Layer(Blur(radius=21), region="~subject")


def test_layers_with_an_empty_region_are_skipped_unless_they_paint_outside() -> None:
    calls = []

    @dataclass(frozen=True)
    class Counting(Effect):
        """Records each render."""

        name = "counting"

        def render(self, frame: np.ndarray, alpha: np.ndarray, ctx: EffectContext) -> EffectOutput:
            calls.append(ctx.frame_index)
            return EffectOutput(image=np.zeros_like(frame), weight=alpha)

    frame = _frame()
    empty = {"gone": np.zeros((24, 32), np.float32)}
    out = Graph([Layer(Counting(), region="gone")]).render_frame(frame, empty)
    assert calls == [] and np.array_equal(out, frame)
    # spotlight dims everything when its region is empty, so it still runs
    out = Graph([Layer(Spotlight(), region="gone")]).render_frame(frame, empty)
    assert out.mean() < frame.mean() * 0.6
