"""Every registered effect: smoke, dtype/shape, region respected, validation messages."""

from __future__ import annotations

import numpy as np
import pytest

from effects import EFFECTS, EffectContext, get_effect
from vfx.errors import VfxError
from vfx.graph import Graph, Layer

# Effects whose paint is weighted by the region itself; the others use the
# region as the thing to work around and have their own tests.
REGION_WEIGHTED = [
    "blur",
    "recolor",
    "replace_background",
    "solid",
    "gradient",
    "pixelate",
    "edges",
]
EXPECTED = {
    "blur",
    "recolor",
    "replace_background",
    "cutout",
    "solid",
    "gradient",
    "pixelate",
    "overlay",
    "outline",
    "spotlight",
    "erase",
    "edges",
}


def _scene(height: int = 48, width: int = 64) -> tuple[np.ndarray, np.ndarray, EffectContext]:
    """A textured frame, a region with hard 0/1 parts and a 0.5 band, and its context."""
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    alpha = np.zeros((height, width), np.float32)
    alpha[:, width // 2 :] = 1.0
    alpha[:, width // 2 - 4 : width // 2] = 0.5
    ctx = EffectContext.build({1: alpha}, frame_index=3, time=0.125)
    return frame, alpha, ctx


def test_catalogue_has_every_effect() -> None:
    assert set(EFFECTS) >= EXPECTED
    for name, cls in EFFECTS.items():
        assert cls.name == name
        assert cls.__doc__, f"{name} needs a docstring"
        for param, spec in cls.param_specs().items():
            assert spec.doc, f"{name}.{param} needs a description"


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_default_effect_smoke_shape_dtype(name: str) -> None:
    frame, alpha, ctx = _scene()
    before = frame.copy()
    alpha_before = alpha.copy()
    effect = get_effect(name)()
    out = effect.apply(frame, alpha, ctx)
    channels = 4 if effect.makes_alpha else 3
    assert out.shape == (48, 64, channels)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(frame, before)  # inputs untouched
    np.testing.assert_array_equal(alpha, alpha_before)
    # The same result for a float32 frame in 0..1.
    out_float = effect.apply(frame.astype(np.float32) / 255.0, alpha, ctx)
    np.testing.assert_array_equal(out_float, out)


@pytest.mark.parametrize("name", REGION_WEIGHTED)
def test_region_weighted_effects_respect_the_region(name: str) -> None:
    frame, alpha, ctx = _scene()
    effect = get_effect(name)()
    painted = effect.render(frame, alpha, ctx)
    out = effect.apply(frame, alpha, ctx).astype(np.int16)
    width = frame.shape[1]
    outside, inside, band = slice(0, width // 2 - 4), slice(width // 2, None), slice(28, 32)
    np.testing.assert_array_equal(out[:, outside], frame[:, outside])
    image = painted.image.astype(np.int16)
    assert np.abs(out[:, inside] - image[:, inside]).max() <= 1
    # The effect really changes the inside.
    assert np.abs(image[:, inside] - frame[:, inside]).mean() > 10
    halfway = (frame[:, band].astype(np.int16) + image[:, band]) / 2.0
    assert np.abs(out[:, band] - halfway).max() <= 1.0


def test_from_params_reports_every_problem_at_once() -> None:
    with pytest.raises(VfxError) as info:
        get_effect("blur").from_params({"radius": "big", "kind": "swirl", "sigma": 3, "size": 2})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("effect 'blur': ")
    assert "unknown parameter 'sigma', 'size' (allowed: radius, kind, isolate)" in message
    assert "'radius': expected a number in 0..1000, got 'big'" in message
    assert "'kind': expected one of gaussian, box, lens, got 'swirl'" in message


def test_python_construction_is_validated_too() -> None:
    cls = get_effect("recolor")
    with pytest.raises(VfxError, match=r"'saturation': expected a number in 0..4, got -1"):
        cls(saturation=-1)
    with pytest.raises(VfxError, match="'contrast'"):
        cls(contrast=float("nan"))
    assert cls(saturation="0.5").saturation == 0.5


def test_effects_are_frozen_and_hashable() -> None:
    effect = get_effect("blur")(radius=5)
    with pytest.raises(AttributeError):
        effect.radius = 6  # type: ignore[misc]
    assert hash(effect) == hash(get_effect("blur")(radius=5.0))
    assert effect.params() == {"radius": 5.0, "kind": "gaussian", "isolate": True}


def test_colour_parameters_accept_hex_names_and_lists() -> None:
    solid = get_effect("solid")
    assert solid(color="#ff8000").color == (255, 128, 0)
    assert solid(color="#f80").color == (255, 136, 0)
    assert solid(color="white").color == (255, 255, 255)
    assert solid.from_params({"color": [1, 2, 3]}).color == (1, 2, 3)
    assert solid(color="#102030").params() == {"color": "#102030"}
    with pytest.raises(VfxError, match=r"'color': expected a colour like '#ff8800'"):
        solid.from_params({"color": "#12345"})
    with pytest.raises(VfxError, match="'color'"):
        solid.from_params({"color": [1, 2, 300]})


def test_bool_and_int_parameters() -> None:
    cutout = get_effect("cutout")
    assert cutout.from_params({"invert": "yes"}).invert is True
    with pytest.raises(VfxError, match="'invert': expected true or false, got 2"):
        cutout.from_params({"invert": 2})


@pytest.mark.parametrize("shape", [(1, 1), (4, 1), (1, 4), (3, 2)])
def test_tiny_frames_work_through_a_graph(shape: tuple[int, int]) -> None:
    # OpenCV reads some 4-element arrays as scalars; every effect must cope.
    frame = np.full((*shape, 3), 100, np.uint8)
    alpha = np.full(shape, 0.5, np.float32)
    for name, cls in sorted(EFFECTS.items()):
        graph = Graph([Layer(cls(), region="m", opacity=0.5)])
        out = graph.render_frame(frame, {"m": alpha, 1: alpha})
        assert out.shape[:2] == shape, name


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_every_effect_names_its_parameters_and_choices(name: str) -> None:
    cls = get_effect(name)
    specs = cls.param_specs()
    params: dict[str, object] = {"nope": 1}
    for param, spec in specs.items():
        if spec.kind == "choice":
            params[param] = "bogus"
        elif spec.kind in ("int", "float") and spec.high is not None:
            params[param] = spec.high + 1
    with pytest.raises(VfxError) as info:
        cls.from_params(params)
    message = str(info.value)
    assert f"unknown parameter 'nope' (allowed: {', '.join(specs)})" in message
    for param, spec in specs.items():
        if spec.kind == "choice":
            assert f"'{param}': expected one of {', '.join(spec.choices)}, got 'bogus'" in message
        elif spec.kind in ("int", "float") and spec.high is not None:
            assert f"'{param}': expected" in message
    # Defaults round-trip through params() and from_params().
    assert cls.from_params(cls().params()) == cls()
