"""Every shipped preset renders a generated clip with imported masks, with no extra inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vfx
from tests.e2e.conftest import FRAMES, Clip
from vfx.io.reader import open_video

SHIPPED = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "presets").glob("*.yaml"))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_preset_renders_and_changes_the_frames(name: str, clip: Clip, tmp_path: Path):
    preset = vfx.load_preset(name)
    makes_alpha = preset.build_graph().makes_alpha
    out = tmp_path / (f"{name}.mov" if makes_alpha else f"{name}.mp4")
    result = vfx.render(clip.video, out, preset=name, masks=clip.masks_dir, progress=False)
    assert result.frames == FRAMES
    with open_video(out) as reader:
        assert reader.info.frame_count == FRAMES
        assert reader.info.has_audio
        rendered = reader.read(FRAMES // 2).astype(int)
    with open_video(clip.video) as reader:
        source = reader.read(FRAMES // 2).astype(int)
    if not makes_alpha:  # the colours of a cutout stay; its alpha changes (tested elsewhere)
        assert np.abs(rendered - source).mean() > 2, f"{name} left the frames unchanged"


def test_alpha_preset_written_to_mp4_is_flattened_with_a_warning(clip: Clip, tmp_path, capsys):
    out = tmp_path / "flat.mp4"
    vfx.render(clip.video, out, preset="cutout-alpha", masks=clip.masks_dir, progress=False)
    assert "has no transparency" in capsys.readouterr().err
    with open_video(out) as reader:
        frame = reader.read(0)
    outside = ~clip.masks[0].any(axis=0)
    assert frame[outside].mean() < 20  # transparent pixels became black


def test_python_api_with_a_graph_and_named_masks(clip: Clip, tmp_path: Path):
    from effects import Blur, Recolor
    from vfx.graph import Graph, Layer
    from vfx.presets import MaskSpec

    graph = Graph([Layer(Blur(radius=9), region="~hero"), Layer(Recolor(hue=90), region="obj:2")])
    specs = {"hero": MaskSpec("hero", objects=(1,))}
    out = tmp_path / "api.mp4"
    result = vfx.render(clip.video, out, graph=graph, mask_specs=specs, masks=clip.masks_dir,
                        progress=False)  # fmt: skip
    assert result.frames == FRAMES
    with pytest.raises(vfx.VfxError, match="use mask hero, which is not defined"):
        vfx.render(clip.video, tmp_path / "x.mp4", graph=graph, masks=clip.masks_dir)
    assert not (tmp_path / "x.mp4").exists()
