"""vfx.moviepy: presets and graphs as moviepy effects give what vfx.render gives."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from moviepy import ImageSequenceClip

import vfx
import vfx.moviepy
from vfx.demo.run import write_mask_folders
from vfx.demo.synthetic import scene_frames


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[np.ndarray], Path]:
    folder = tmp_path_factory.mktemp("scene")
    items = list(scene_frames(width=64, height=48, frames=12, objects=2, seed=3))
    write_mask_folders(np.stack([f.masks for f in items]), folder / "masks")
    return [f.rgb for f in items], folder / "masks"


def _rendered(folder: Path) -> list[np.ndarray]:
    files = sorted(folder.glob("*.png"))
    return [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in files]


@pytest.mark.parametrize("preset", ["background-blur", "color-splash"])
def test_preset_effect_matches_render_in_any_order(scene, tmp_path: Path, preset: str) -> None:
    frames, masks = scene
    vfx.render(frames, tmp_path / "out", preset=preset, masks=masks, progress=False)
    expected = _rendered(tmp_path / "out")
    clip = ImageSequenceClip(frames, fps=24)
    effect = vfx.moviepy.Preset(preset, masks=masks)
    result = clip.with_effects([effect])
    assert result is not clip and result.duration == clip.duration
    for index in (11, 0, 5, 6, 1):  # frame-accurate: masks by time, in any order
        np.testing.assert_array_equal(result.get_frame(index / 24), expected[index])
    np.testing.assert_array_equal(clip.get_frame(3 / 24), frames[3])  # the input clip is untouched
    assert effect == vfx.moviepy.Preset(preset, masks=masks)  # and so is the effect


def test_graph_effect_matches_render_with_a_graph(scene, tmp_path: Path) -> None:
    from effects import Blur
    from vfx.graph import Graph, Layer

    frames, masks = scene
    graph = Graph([Layer(Blur(radius=5), region="~subject")])
    vfx.render(frames, tmp_path / "out", graph=graph, masks=masks, progress=False)
    expected = _rendered(tmp_path / "out")
    result = ImageSequenceClip(frames, fps=24).with_effects([vfx.moviepy.Effects(graph, masks)])
    frames_out = list(result.iter_frames(fps=24, dtype="uint8"))
    assert len(frames_out) == len(expected)
    for got, want in zip(frames_out, expected, strict=True):
        np.testing.assert_array_equal(got, want)
