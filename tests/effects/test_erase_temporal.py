"""erase-object shows the background other frames saw, instead of smearing large holes.

A disc crosses a striped, textured background in front of a steady camera. Every pixel
it covers is uncovered in some other frame, so the erased frames should come back close to
the true background; Telea inpainting alone (``temporal: false``) smears stripes into a
radial pinwheel across the hole.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

import vfx
from effects.core.background_plate import BackgroundPlate

W, H, T, R = 192, 112, 16, 26


def textured_background() -> np.ndarray:
    """``[H, W, 3]`` uint8: diagonal stripes, a checker and noise (structure a smear ruins)."""
    yy, xx = np.mgrid[0:H, 0:W]
    stripes = 90 + 80 * ((xx + yy) // 6 % 2)
    checker = 60 * ((xx // 12 + yy // 12) % 2)
    noise = np.random.default_rng(1).integers(-10, 11, (H, W))
    return np.clip(np.stack([stripes, checker + 80, 200 - stripes // 2], -1) + noise[..., None],
                   0, 255).astype(np.uint8)  # fmt: skip


def moving_disc_clip(folder: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A lossless clip of a disc crossing the background; returns (video, background, masks
    ``[T, H, W]`` bool)."""
    background = textured_background()
    video, masks = folder / "disc.mkv", []
    with av.open(str(video), "w") as container:
        stream = container.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = W, H, "bgr0"
        for t in range(T):
            frame = background.copy()
            mask = np.zeros((H, W), np.uint8)
            cv2.circle(mask, (R + 4 + t * (W - 2 * R - 8) // (T - 1), H // 2), R, 255, -1)
            frame[mask > 0] = (230, 60, 40)
            masks.append(mask > 0)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    mask_dir = folder / "masks"
    mask_dir.mkdir()
    for t, mask in enumerate(masks):
        cv2.imwrite(str(mask_dir / f"{t:05d}.png"), mask.astype(np.uint8) * 255)
    return video, background, np.stack(masks)


def _erased(video: Path, out: Path, *overrides: str) -> np.ndarray:
    vfx.render(video, out, preset="erase-object", masks=str(video.parent / "masks"),
               overrides=overrides, progress=False)  # fmt: skip
    frames = [cv2.imread(str(p))[:, :, ::-1] for p in sorted(out.glob("*.png"))]
    return np.stack(frames).astype(np.int16)  # [T, H, W, 3]


def test_temporal_fill_shows_the_background_the_disc_hid(tmp_path: Path) -> None:
    video, background, masks = moving_disc_clip(tmp_path)
    temporal = _erased(video, tmp_path / "temporal")
    telea = _erased(video, tmp_path / "telea", "0.temporal=false")
    truth = background.astype(np.int16)
    for t in (0, T // 2, T - 1):
        hole = masks[t]
        error_temporal = np.abs(temporal[t][hole] - truth[hole]).mean()
        error_telea = np.abs(telea[t][hole] - truth[hole]).mean()
        assert error_temporal < 6, (t, error_temporal)
        assert error_telea > 3 * error_temporal, (t, error_telea, error_temporal)
    outside = ~cv2.dilate(masks[4].view(np.uint8), np.ones((21, 21), np.uint8)).view(bool)
    assert np.abs(temporal[4][outside] - truth[outside]).max() <= 2  # the rest is untouched


def test_a_moving_camera_falls_back_to_inpainting(tmp_path: Path) -> None:
    """A plate that disagrees with the frame around the hole is not pasted in."""
    from effects.core.base import EffectContext
    from effects.erase import Erase

    background = textured_background()
    frame = np.roll(background, 9, axis=1)  # the camera panned since the plate was seen
    alpha = np.zeros((H, W), np.float32)
    cv2.circle(alpha, (W // 2, H // 2), R, 1.0, -1)
    frame[alpha > 0] = (230, 60, 40)
    known = np.ones((H, W), bool)
    from effects.core.background_plate import PlateView

    ctx = EffectContext.build({1: alpha}, background=PlateView(background, known))
    out = Erase(grow=2).apply(frame, alpha, ctx)
    plain = Erase(grow=2, temporal=False).apply(frame, alpha, EffectContext.build({1: alpha}))
    np.testing.assert_array_equal(out, plain)


def test_plate_memory_is_a_window_and_pixels_come_from_the_nearest_frame() -> None:
    plate: BackgroundPlate[int] = BackgroundPlate(lookahead=3, grow=0)
    views = []
    for t in range(10):
        rgb = np.full((4, 4, 3), t, np.uint8)
        cover = np.zeros((4, 4), np.float32)
        cover[:, : max(0, 4 - t)] = 1.0  # the object slides out of view to the left
        views += list(plate.push(t, rgb, cover))
        assert len(plate._ahead) <= 3
    views += list(plate.flush())
    assert [t for t, _ in views] == list(range(10))
    first = views[0][1]
    # frame 0 sees columns 3, 2, 1 uncovered in frames 1, 2, 3; column 0 only in frame 4,
    # beyond the 3-frame lookahead
    assert not first.known[:, 0].any() and first.known[:, 1:].all()
    assert (first.image[:, 3] == 1).all() and (first.image[:, 1] == 3).all()
    fourth = dict(views)[3]
    # column 0 is first uncovered in frame 4 (1 frame ahead of frame 3): its colour is 4
    assert fourth.known[:, 0].all() and (fourth.image[:, 0] == 4).all()
    # column 3 was uncovered in frame 1 and since: the latest past frame (3) wins
    assert (fourth.image[:, 3] == 3).all()


def test_only_temporal_inpainting_asks_for_the_plate() -> None:
    from effects.erase import Erase

    assert not Erase(mode="fill").uses_background()
    assert Erase().uses_background() and not Erase(temporal=False).uses_background()
