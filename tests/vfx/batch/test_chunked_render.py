"""A render split into frame ranges and joined equals the whole render, audio included."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import vfx
from vfx.batch import LocalExecutor, Manifest, plan_jobs, run_batch
from vfx.batch.chunk_join import join_chunks
from vfx.errors import VfxError
from vfx.io.reader import open_video


def _frames(path: Path) -> list[np.ndarray]:
    with open_video(path) as reader:
        return [frame.rgb for frame in reader]


def test_frame_ranges_render_exactly_the_whole_renders_frames(media, tmp_path: Path):
    """Smoothing looks across chunk borders, so each chunk's frames are the whole render's."""
    clip, masks = media.folder / "clips/long.mp4", media.folder / "masks/long"
    options = {"preset": "background-blur", "masks": masks, "progress": False}
    vfx.render(clip, tmp_path / "whole", **options)
    ranges = [(0, 17), (17, 30), (30, 48)]
    for start, stop in ranges:
        vfx.render(clip, tmp_path / f"part{start}", chunk=(start, stop), **options)
    whole = _frames(tmp_path / "whole")
    joined = [f for start, _ in ranges for f in _frames(tmp_path / f"part{start}")]
    assert len(joined) == len(whole) == 48
    for index, (a, b) in enumerate(zip(whole, joined, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"frame {index}")


def _streams(path: Path) -> tuple[int, float, float, float | None]:
    """(video frames, fps, duration s, audio duration s) of a file."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_s = None if audio is None else float(audio.duration * audio.time_base)
        return video.frames, float(video.average_rate), container.duration / 1e6, audio_s


def test_chunked_job_joins_without_reencoding_and_keeps_the_audio(media, tmp_path: Path):
    clip = media.folder / "clips/long.mp4"
    whole = tmp_path / "whole.mp4"
    options = {"preset": "background-blur", "masks": media.folder / "masks/long", "progress": False}
    vfx.render(clip, whole, **options)
    vfx.render(clip, tmp_path / "exact", **options)  # lossless PNGs: the frames before encoding
    out = tmp_path / "out" / "chunked.mp4"
    job = {"input": "clips/long.mp4", "output": str(out), "preset": "background-blur",
           "masks": "masks/long", "chunk_frames": 20}  # fmt: skip
    plans = plan_jobs(Manifest([job], media.folder))
    assert len(plans[0].chunks) == 3
    (outcome,) = run_batch(plans, LocalExecutor(workers=2))
    assert outcome.status == "done", outcome.error
    assert outcome.frames == 48
    assert _streams(out) == _streams(whole)  # frames, fps, duration, audio length
    assert _streams(out)[3] is not None and abs(_streams(out)[3] - 2.0) < 0.05
    exact = _frames(tmp_path / "exact")

    def error(frames: list[np.ndarray]) -> np.ndarray:
        pairs = zip(frames, exact, strict=True)
        return np.array([np.abs(a.astype(np.int16) - b).mean() for a, b in pairs])

    # Encoder noise only: the chunked file is as close to the true frames as the whole one
    # (x264 decides per chunk, so the noise differs; this clip's texture makes it large).
    chunked_error, whole_error = error(_frames(out)), error(_frames(whole))
    print("mean error per frame, chunked vs whole:", chunked_error.mean(), whole_error.mean())
    assert np.all(chunked_error <= whole_error + 0.3), (chunked_error, whole_error)
    pairs = zip(_frames(whole), _frames(out), strict=True)
    between = [np.abs(a.astype(np.int16) - b).mean() for a, b in pairs]
    assert np.mean(between) <= 1.0, between
    assert sorted(p.name for p in out.parent.iterdir()) == ["chunked.mp4"]  # chunks cleaned up


def test_a_join_missing_frames_is_refused_and_leaves_nothing(media, tmp_path: Path):
    """The joined file's packets are counted: a join that does not hold every frame fails."""
    clip, masks = media.folder / "clips/long.mp4", media.folder / "masks/long"
    parts = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for part, frames in zip(parts, [(0, 24), (24, 48)], strict=True):
        vfx.render(clip, part, preset="background-blur", masks=masks, progress=False,
                   chunk=frames, audio=False)  # fmt: skip
    output = tmp_path / "joined.mp4"
    join_chunks(parts, output, source=clip, frame_count=48, fps=24.0)
    assert _streams(output)[0] == 48
    with pytest.raises(VfxError, match="has 24 frames, not 48"):
        join_chunks(parts[:1], tmp_path / "short.mp4", source=clip, frame_count=48, fps=24.0)
    assert not (tmp_path / "short.mp4").exists()
