"""lossless_writer: the render encoder (RawPipeWriter) writing FFV1 or qp 0 H.264 frame by frame."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vfx.errors import VfxError
from vfx.io.writer import lossless_writer


def test_ffv1_is_bit_exact_at_the_exact_rate_with_its_tags(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    wide = rng.integers(0, 256, (5, 24, 64), dtype=np.uint8)  # [T, H, 2W]
    frames = wide[:, :, ::2]  # [T, H, W] strided views: sent as contiguous copies
    path = tmp_path / "m.mkv"
    with lossless_writer(
        path, size=(32, 24), fps=24000 / 1001, metadata={"VFX_TEST": '{"a": 1}'}
    ) as writer:
        for frame in frames:
            writer.write_frame(frame)
    assert writer.frames == 5
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "ffv1"
        assert stream.average_rate == Fraction(24000, 1001)
        assert {k.upper(): v for k, v in container.metadata.items()}["VFX_TEST"] == '{"a": 1}'
        decoded = np.stack([f.to_ndarray(format="gray") for f in container.decode(stream)])
    np.testing.assert_array_equal(decoded, frames)


def test_h264_keeps_black_and_white_and_levels_within_one(tmp_path: Path) -> None:
    ramp = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (16, 1))  # [16, 64]: 0..252
    ramp[:, -1] = 255
    path = tmp_path / "m.mp4"
    with lossless_writer(path, size=(64, 16), fps=25, codec="h264") as writer:
        for _ in range(3):
            writer.write_frame(ramp)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
        decoded = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
    assert len(decoded) == 3
    for gray in decoded:
        assert np.abs(gray.astype(int) - ramp).max() <= 1
        np.testing.assert_array_equal(gray[ramp == 0], 0)
        np.testing.assert_array_equal(gray[ramp == 255], 255)


def test_unknown_encodings_and_a_dead_encoder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no lossless RGB encoding for codec 'ffv1'"):
        lossless_writer(tmp_path / "c.mkv", size=(8, 8), fps=24, gray=False)
    missing = tmp_path / "no-such-folder" / "m.mkv"
    with (
        pytest.raises(VfxError, match="ffmpeg failed writing"),
        lossless_writer(missing, size=(8, 8), fps=24) as writer,
    ):
        writer.write_frame(np.zeros((8, 8), np.uint8))
    assert not missing.parent.exists()
