"""replace_background: generated, image, video and frame-folder sources; fits; light wrap."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from effects import EffectContext, ReplaceBackground
from effects.core.background_source import normalize_source
from vfx.demo.synthetic import write_scene_video
from vfx.errors import VfxError


def _run(
    effect: ReplaceBackground, frame_index: int = 0, size: tuple[int, int] = (8, 6), cache=None
):
    width, height = size
    frame = np.full((height, width, 3), 7, np.uint8)
    alpha = np.ones((height, width), np.float32)
    ctx = EffectContext(frame_index=frame_index, size=size, cache={} if cache is None else cache)
    return effect.apply(frame, alpha, ctx)


def _write_rgb(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def test_solid_and_gradient_strings() -> None:
    np.testing.assert_array_equal(
        _run(ReplaceBackground(source="solid:#0047bb")), np.full((6, 8, 3), (0, 71, 187))
    )
    np.testing.assert_array_equal(_run(ReplaceBackground(source="#ff0000"))[0, 0], [255, 0, 0])
    out = _run(ReplaceBackground(source="gradient:#000000,#ffffff,horizontal"))
    np.testing.assert_array_equal(out[0, [0, -1]], [[0, 0, 0], [255, 255, 255]])
    assert (np.diff(out[0, :, 0].astype(int)) > 0).all()
    out = _run(ReplaceBackground(source="gradient: black , white"))  # vertical by default
    np.testing.assert_array_equal(out[[0, -1], 0], [[0, 0, 0], [255, 255, 255]])
    assert (
        ReplaceBackground(source="gradient:#000,#fff,RADIAL").source
        == "gradient:#000000,#ffffff,radial"
    )


@pytest.mark.parametrize(
    "source",
    ["gradient:#000", "gradient:#000,#fff,spiral", "solid:#12", "solid:", "plasma:1", 42, ""],
)
def test_bad_sources(source: object) -> None:
    with pytest.raises(VfxError, match="'source': "):
        ReplaceBackground.from_params({"source": source})


def test_image_source_fits(tmp_path: Path) -> None:
    # A 4x2 image: left half red, right half blue.
    image = np.zeros((2, 4, 3), np.uint8)
    image[:, :2] = (255, 0, 0)
    image[:, 2:] = (0, 0, 255)
    _write_rgb(tmp_path / "bg.png", image)
    cover = _run(
        ReplaceBackground.from_params({"source": "bg.png"}, base_dir=tmp_path), size=(4, 4)
    )
    assert (cover[:, 0] == (255, 0, 0)).all() and (
        cover[:, -1] == (0, 0, 255)
    ).all()  # cropped sides
    contain = _run(
        ReplaceBackground.from_params(
            {"source": "bg.png", "fit": "contain", "fill": "white"}, base_dir=tmp_path
        ),
        size=(4, 4),
    )
    np.testing.assert_array_equal(contain[0], np.full((4, 3), 255))  # bars above and below
    np.testing.assert_array_equal(contain[1:3, 0], [(255, 0, 0)] * 2)
    stretch = _run(ReplaceBackground(source=str(tmp_path / "bg.png"), fit="stretch"), size=(8, 2))
    np.testing.assert_array_equal(stretch[0, :3], [(255, 0, 0)] * 3)
    np.testing.assert_array_equal(stretch[0, 5:], [(0, 0, 255)] * 3)


def test_missing_file_is_reported_with_the_search_base(tmp_path: Path) -> None:
    with pytest.raises(VfxError, match=r"'source': file not found: .*nope\.jpg"):
        ReplaceBackground.from_params({"source": "nope.jpg"}, base_dir=tmp_path)


def test_frame_folder_background_loops_or_holds(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, value in enumerate((10, 20, 30)):
        _write_rgb(folder / f"{index:03d}.png", np.full((6, 8, 3), value, np.uint8))
    looped = ReplaceBackground(source=str(folder))
    held = ReplaceBackground(source=str(folder), loop=False)
    cache: dict = {}
    assert [_run(looped, i, cache=cache)[0, 0, 0] for i in range(5)] == [10, 20, 30, 10, 20]
    assert [_run(held, i, cache=cache)[0, 0, 0] for i in range(5)] == [10, 20, 30, 30, 30]
    assert ("background", str(folder.resolve())) in cache  # opened once, kept for later frames


def test_video_file_background(tmp_path: Path) -> None:
    path = tmp_path / "bg.mp4"
    write_scene_video(path, width=32, height=24, frames=3, audio=False)
    effect = ReplaceBackground.from_params({"source": "bg.mp4"}, base_dir=tmp_path)
    cache: dict = {}
    frames = [_run(effect, i, size=(16, 12), cache=cache) for i in range(4)]
    assert frames[0].shape == (12, 16, 3)
    np.testing.assert_array_equal(frames[3], frames[0])  # looped back to the first frame
    assert not np.array_equal(frames[0], np.full_like(frames[0], 7))


def test_light_wrap_spills_background_onto_the_subject_edge() -> None:
    frame = np.zeros((20, 40, 3), np.uint8)
    alpha = np.zeros((20, 40), np.float32)
    alpha[:, 20:] = 1.0  # background on the right, subject on the left
    ctx = EffectContext(size=(40, 20))
    plain = ReplaceBackground(source="solid:#ffffff").apply(frame, alpha, ctx)
    wrapped = ReplaceBackground(source="solid:#ffffff", light_wrap=1.0, wrap_radius=6).apply(
        frame, alpha, ctx
    )
    np.testing.assert_array_equal(wrapped[:, 20:], plain[:, 20:])
    edge = wrapped[10, 14:20, 0].astype(int)
    assert (np.diff(edge) > 0).all() and edge[-1] > 60  # brighter towards the edge
    np.testing.assert_array_equal(wrapped[:, :5], 0)  # far inside the subject: untouched


def test_normalize_source_forms(tmp_path: Path) -> None:
    assert normalize_source("#abc", None) == "solid:#aabbcc"
    assert normalize_source("solid:red", None) == "solid:#e62828"
    (tmp_path / "x.jpg").write_bytes(b"")
    assert normalize_source("x.jpg", tmp_path) == str((tmp_path / "x.jpg").resolve())


def test_still_background_is_decoded_once_for_all_workers(tmp_path: Path, monkeypatch) -> None:
    """Issue 14: a background image is shared by the effect workers, not loaded per worker."""
    import vfx
    from effects.core import background_source
    from vfx.demo.synthetic import write_scene_video

    video = tmp_path / "scene.mp4"
    write_scene_video(video, 64, 48, 12, 24, objects=1, background=None)
    image = tmp_path / "bg.png"
    cv2.imwrite(str(image), np.full((48, 64, 3), 90, np.uint8))
    preset = tmp_path / "bg.yaml"
    preset.write_text(
        "name: bg\nlayers:\n  - {effect: replace_background, region: all, "
        f"params: {{source: {image}}}}}\n"
    )
    calls = []
    real = background_source.read_rgb
    monkeypatch.setattr(background_source, "read_rgb", lambda p: calls.append(p) or real(p))
    background_source._decoded_image_once.cache_clear()
    vfx.render(video, tmp_path / "out.mp4", preset=preset, chroma="green", progress=False)
    assert calls == [image]
