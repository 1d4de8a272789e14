"""Preset files: shipped presets load, bad presets report every problem at once, --set works."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vfx.errors import VfxError
from vfx.presets import list_presets, load_preset
from vfx.presets.loading import parse_override

SHIPPED = Path(__file__).resolve().parents[3] / "presets"


def test_at_least_twelve_presets_ship_with_descriptions():
    presets = list_presets()
    assert len(presets) >= 12
    assert list(presets) == sorted(presets)
    assert set(presets) == {p.stem for p in SHIPPED.glob("*.yaml")}
    assert all(description.strip() for description in presets.values())


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED.glob("*.yaml")))
def test_every_shipped_preset_loads_and_builds_its_graph(name):
    preset = load_preset(name)
    assert preset.name == name
    graph = preset.build_graph()
    assert len(graph.layers) == len(preset.layers) >= 1
    assert graph.mask_names <= set(preset.masks)


def test_issue_presets_are_all_there():
    required = {
        "background-blur", "background-replace-color", "background-replace-image",
        "background-replace-video", "color-splash", "recolor-subject", "cutout-alpha",
        "privacy-pixelate", "spotlight", "highlight-overlay", "erase-object", "outline-glow",
    }  # fmt: skip
    assert required <= set(list_presets())


def test_background_blur_matches_the_design_example():
    preset = load_preset("background-blur")
    assert preset.layers[0].effect == "blur"
    assert preset.layers[0].region == "~subject"
    assert preset.layers[0].params == {"radius": 21}
    assert preset.masks["subject"].objects is None
    assert preset.masks["subject"].smooth == {"window": 5}
    assert preset.output.crf == 18


def test_unknown_preset_suggests_the_closest_name():
    with pytest.raises(
        VfxError, match="unknown preset 'background-blurr'; did you mean 'background-blur'"
    ) as info:
        load_preset("background-blurr")
    assert "vfx presets list" in info.value.message


def test_missing_preset_file(tmp_path):
    with pytest.raises(VfxError, match="does not exist"):
        load_preset(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nlayers:\n  - effect: blur\n    region: [~subject\n")
    with pytest.raises(
        VfxError, match=r"preset broken.yaml has a YAML syntax error at line \d+, column \d+"
    ) as info:
        load_preset(path)
    assert "\n" not in info.value.message


def _write(tmp_path, data, name="custom.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_every_problem_is_reported_at_once_with_layer_and_allowed_values(tmp_path):
    path = _write(
        tmp_path,
        {
            "name": "custom",
            "colour": "red",
            "masks": {"subject": {"objects": "some", "smooth": {"windw": 3}}},
            "layers": [
                {"effect": "blurr", "region": "~subject"},
                {"effect": "blur", "region": "~subject", "params": {"radius": 5, "sigma": 2}},
                {"effect": "recolor", "region": "~(subject", "params": {}},
                {"effect": "blur", "region": "hero", "blend": "overlay"},
            ],
            "output": {"crf": 99, "preset": "warp"},
        },
    )
    with pytest.raises(VfxError) as info:
        load_preset(path)
    message = info.value.message
    assert "\n" not in message
    assert message.startswith("preset custom.yaml has ")
    for fragment in [
        "unknown key 'colour'",
        "mask 'subject': 'objects' must be 'all' or a list",
        "mask 'subject' smooth: unknown smooth setting windw",
        "layer 0 (blurr): unknown effect 'blurr'",
        "did you mean 'blur'",
        "layer 1 (blur)",
        "'sigma'",
        "allowed: radius, kind",
        "layer 2 (recolor)",
        "layer 3 (blur)",
        "'overlay'",
        "crf must be an integer from 0 to 51",
        "preset must be one of ultrafast",
    ]:
        assert fragment in message, fragment


def test_region_naming_an_undefined_mask_is_reported(tmp_path):
    path = _write(tmp_path, {"name": "x", "layers": [{"effect": "blur", "region": "~hero"}]})
    with pytest.raises(VfxError, match=r"layer 0 \(blur\): region uses undefined mask hero"):
        load_preset(path)


def test_object_regions_need_no_named_masks(tmp_path):
    path = _write(tmp_path, {"name": "x", "layers": [{"effect": "blur", "region": "obj:2 | all"}]})
    assert load_preset(path).masks == {}


def test_overrides_by_index_effect_name_and_output():
    preset = load_preset("background-blur", ["0.radius=31", "blur.kind=box", "output.crf=22"])
    assert preset.layers[0].params == {"radius": 31, "kind": "box"}
    assert preset.output.crf == 22
    assert preset.build_graph().layers[0].effect.radius == 31


def test_overrides_are_validated_like_the_file():
    with pytest.raises(VfxError, match=r"layer 0 \(blur\).*'radiuss'"):
        load_preset("background-blur", ["0.radiuss=31"])


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("radius=31", "--set expects LAYER.PARAM=VALUE"),
        ("0.radius", "--set expects LAYER.PARAM=VALUE"),
        ("hero.smooth.window=3", "'hero' is not a mask of this preset"),
        ("5.radius=3", "there is no layer 5; layers are 0 (blur)"),
        ("recolor.hue=3", "no layer uses effect 'recolor'"),
    ],
)
def test_bad_overrides(override, fragment):
    with pytest.raises(VfxError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_preset("background-blur", [override])


def test_override_values_are_read_as_yaml_scalars():
    assert parse_override("0.radius=31") == (["0", "radius"], 31)
    assert parse_override("1.source=solid:#00ff00") == (["1", "source"], "solid:#00ff00")
    assert parse_override("subject.smooth=false") == (["subject", "smooth"], False)


def test_overrides_of_mask_settings():
    preset = load_preset("background-blur", ["subject.smooth.window=9", "subject.refine.feather=3"])
    assert preset.masks["subject"].smooth == {"window": 9}
    assert preset.masks["subject"].refine == {"feather": 3}
    assert load_preset("background-blur", ["subject.smooth=false"]).masks["subject"].smooth is None
    with pytest.raises(VfxError, match="smooth setting windw"):
        load_preset("background-blur", ["subject.smooth.windw=9"])
    with pytest.raises(VfxError, match="masks have 'smooth' and 'refine' settings"):
        load_preset("background-blur", ["subject.grow.px=9"])


def test_relative_asset_paths_resolve_next_to_the_preset_file(tmp_path):
    (tmp_path / "sub").mkdir()
    lut = tmp_path / "sub" / "identity.cube"
    lut.write_text(
        "LUT_3D_SIZE 2\n"
        + "".join(f"{r} {g} {b}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1))
    )
    path = _write(
        tmp_path / "sub",
        {"name": "graded", "layers": [{"effect": "recolor", "params": {"lut": "identity.cube"}}]},
    )
    preset = load_preset(path)
    assert preset.base_dir == tmp_path / "sub"
    assert Path(preset.build_graph().layers[0].effect.lut).resolve() == lut.resolve()
