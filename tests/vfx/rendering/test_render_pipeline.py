"""The render pipeline's mask stage (smoothing in sync, named masks) and frame renderer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vfx.graph import Graph, Layer
from vfx.io.reader import open_video
from vfx.io.video_source import Frame
from vfx.masks import smooth
from vfx.masks.refinement import refine
from vfx.presets import MaskSpec
from vfx.rendering.pipeline import FrameRenderer, MaskedFrame, MaskPlan, RenderResult, masked_frames

T, H, W = 9, 24, 32


class ArrayMasks:
    """A mask source over ``[T, N, H, W]`` float32 arrays (ids 1..N)."""

    def __init__(self, masks: np.ndarray) -> None:
        self.masks = masks
        self.object_ids = list(range(1, masks.shape[1] + 1))
        self.names = {i: f"o{i}" for i in self.object_ids}
        self.frame_count = masks.shape[0]
        self.calls: list[int] = []

    def masks_at(self, index, frame=None):
        self.calls.append(index)
        return {i: self.masks[index, i - 1] for i in self.object_ids}


@pytest.fixture
def video_and_masks():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (T, H, W, 3), dtype=np.uint8)
    masks = (rng.random((T, 3, H, W)) > 0.6).astype(np.float32)
    return frames, masks


def test_named_masks_unite_their_objects_and_refine(video_and_masks):
    frames, masks = video_and_masks
    specs = {
        "first": MaskSpec("first", objects=(1,)),
        "rest": MaskSpec("rest", objects=(2, 3), refine={"grow": 2}),
        "every": MaskSpec("every"),
    }
    source = ArrayMasks(masks)
    with masked_frames(open_video(frames), source, specs) as pipe:
        items = list(pipe)
    assert [item.frame.index for item in items] == list(range(T))
    for t, item in enumerate(items):
        np.testing.assert_array_equal(item.named["first"], masks[t, 0])
        expected = refine(np.maximum(masks[t, 1], masks[t, 2]), grow=2)
        np.testing.assert_allclose(item.named["rest"], expected)
        np.testing.assert_array_equal(item.named["every"], masks[t].max(axis=0))
        np.testing.assert_array_equal(item.objects[3], masks[t, 2])


def test_streaming_smoothing_stays_in_sync_with_the_frames(video_and_masks):
    frames, masks = video_and_masks
    settings = {"window": 3, "motion": False}
    specs = {"subject": MaskSpec("subject", objects=(1, 2), smooth=settings)}
    with masked_frames(open_video(frames), ArrayMasks(masks), specs) as pipe:
        items = list(pipe)
    assert len(items) == T
    batch = smooth(masks[:, :2], frames, **settings)[:, 0]  # objects 1 and 2 jointly
    for t, item in enumerate(items):
        np.testing.assert_array_equal(item.frame.rgb, frames[t])
        np.testing.assert_allclose(item.objects[1], batch[t], atol=1e-6)
        np.testing.assert_array_equal(item.objects[3], masks[t, 2])  # not covered: raw
    assert not np.array_equal(batch, masks[:, 0])  # the smoothing did change something


def test_objects_smoothed_with_the_same_settings_share_one_smoother():
    same = {"window": 3}
    plan = MaskPlan(
        {
            "a": MaskSpec("a", objects=(1, 2), smooth=same),
            "b": MaskSpec("b", objects=(2,), smooth=same),
        },
        [1, 2, 3],
    )
    assert len(plan.groups) == 1
    assert next(iter(plan.groups.values()))[1] == [1, 2]


def test_a_frame_range_reads_only_those_masks(video_and_masks):
    frames, masks = video_and_masks
    source = ArrayMasks(masks)
    with masked_frames(open_video(frames), source, {}, start=3, stop=6) as pipe:
        assert [item.frame.index for item in pipe] == [3, 4, 5]
    assert source.calls == [3, 4, 5]


def test_frame_renderer_flattens_alpha_over_black(video_and_masks):
    from effects import Cutout

    frames, masks = video_and_masks
    with masked_frames(open_video(frames), ArrayMasks(masks), {}) as pipe:
        item = next(iter(pipe))
    graph = Graph([Layer(Cutout(), region="obj:1")])
    rgba = FrameRenderer(graph, {1: "o1"}, (W, H))(item)
    flat = FrameRenderer(graph, {1: "o1"}, (W, H), flatten_alpha=True)(item)
    assert rgba.shape == (H, W, 4)
    assert flat.shape == (H, W, 3)
    outside = masks[0, 0] == 0
    assert (flat[outside] == 0).all()
    np.testing.assert_array_equal(flat[~outside], frames[0][~outside])


def test_render_result_summary():
    result = RenderResult(Path("out.mp4"), frames=48, duration=2.0, seconds=4.0)
    assert result.fps == 12.0
    assert (
        result.summary()
        == "wrote out.mp4: 48 frames, 2.00 s of video, rendered at 12.0 fps (0.083 s/frame) "
        "in 4.0 s"
    )


@pytest.mark.parametrize("work_width", [W // 2, 0])
def test_the_pipeline_smooths_like_the_batch_smoother(video_and_masks, work_width):
    """Full-resolution masks go to the smoother, whose own ``work_width`` decides the working
    resolution (0: full resolution), so the pipeline's output is the batch result."""
    frames, masks = video_and_masks
    settings = {"window": 3, "motion": False, "work_width": work_width}
    specs = {"subject": MaskSpec("subject", objects=(1,), smooth=settings)}
    with masked_frames(open_video(frames), ArrayMasks(masks), specs) as pipe:
        items = list(pipe)
    batch = smooth(masks[:, 0], frames, **settings)
    for t, item in enumerate(items):
        assert item.named["subject"].shape == (H, W)
        np.testing.assert_allclose(item.named["subject"], batch[t], atol=1e-6)


def test_chroma_keyed_frames_lose_their_green_fringe():
    from vfx.sources.chroma import ChromaKeySource

    frame = np.zeros((8, 8, 3), np.uint8)
    frame[:] = (0, 177, 64)  # the screen
    frame[2:6, 2:6] = (150, 190, 150)  # a grey subject with a green cast
    with masked_frames(open_video(frame[None]), ChromaKeySource("green"), {}) as pipe:
        item = next(iter(pipe))
    assert item.objects[1][3, 3] == 1.0
    red, green, _ = item.frame.rgb[3, 3].astype(int)
    assert green - red < 10  # it was 40 greener than red
    np.testing.assert_array_equal(item.frame.rgb[0, 0], [0, 177, 64])  # the screen is kept


def test_background_blur_to_mp4_keeps_the_subject_and_blurs_the_rest(tmp_path: Path):
    """The benchmark's path: mask video in, yuv420p H.264 out through the OpenCV conversion."""
    import cv2

    from vfx.demo.synthetic import write_scene_video, write_union_mask_video
    from vfx.presets import load_preset
    from vfx.rendering.pipeline import render_video
    from vfx.sources.imported import load_masks

    clip, mask_video, out = tmp_path / "clip.mp4", tmp_path / "mask.mkv", tmp_path / "out.mp4"
    exact = write_scene_video(clip, 192, 128, frames=6, fps=24, objects=1, background=None)
    write_union_mask_video(mask_video, exact, 24)
    preset = load_preset("background-blur", ["subject.smooth=false"])
    source = load_masks(mask_video)
    with open_video(clip) as reader:
        src = [f.rgb for f in reader]
        result = render_video(
            reader, source, preset.build_graph(), preset.masks, out, progress=False
        )
    assert result.frames == 6
    with open_video(out) as reader:
        assert reader.info.has_audio
        dst = [f.rgb for f in reader]
    renderer = FrameRenderer(preset.build_graph(), source.names, (192, 128))
    kernel = np.ones((9, 9), np.uint8)
    for t in range(6):
        subject = exact[t, 0].astype(np.uint8)
        core = cv2.erode(subject, kernel) > 0  # away from the 4:2:0 chroma edge
        background = cv2.erode(1 - subject, np.ones((25, 25), np.uint8)) > 0
        diff = np.abs(dst[t].astype(int) - src[t]).max(axis=-1)
        assert core.sum() > 200 and background.sum() > 2000
        assert (diff[core] <= 10).mean() > 0.99, t  # subject pixels kept
        grey_src = cv2.cvtColor(src[t], cv2.COLOR_RGB2GRAY).astype(np.float32)
        grey_dst = cv2.cvtColor(dst[t], cv2.COLOR_RGB2GRAY).astype(np.float32)
        detail_src = np.abs(cv2.Laplacian(grey_src, cv2.CV_32F))[background].mean()
        detail_dst = np.abs(cv2.Laplacian(grey_dst, cv2.CV_32F))[background].mean()
        assert detail_dst < 0.3 * detail_src, t  # background blurred
        # the encoded frame is the graph's frame up to codec error (colour matrix kept)
        masked = MaskedFrame(Frame(t, t / 24, src[t]), {1: source.masks_at(t)[1]}, {})
        masked = MaskedFrame(masked.frame, masked.objects, {"subject": masked.objects[1]})
        expected = renderer(masked)
        assert np.abs(dst[t].astype(int) - expected).mean() < 2.5, t
