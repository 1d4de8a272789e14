"""write_video: formats, exact frame counts, alpha, audio, odd sizes, atomic interrupts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from clip_makers import marked_frame, write_clip

from vfx.errors import VfxError
from vfx.io import open_video, output_supports_alpha, write_video

W, H = 64, 48


def _marked(count: int, width: int = W, height: int = H) -> Iterator[np.ndarray]:
    return (marked_frame(i, width, height) for i in range(count))


def _rgba(count: int) -> Iterator[np.ndarray]:
    """Frames whose alpha is a horizontal ramp 0..255 plus the frame index in the first row."""
    ramp = np.linspace(0, 255, W).round().astype(np.uint8)
    for i in range(count):
        alpha = np.broadcast_to(ramp, (H, W)).copy()
        alpha[:8] = 10 * i
        yield np.dstack([marked_frame(i, W, H), alpha])  # [H, W, 4]


def _decoded_alpha(path: Path) -> list[np.ndarray]:
    """``[H, W]`` alpha planes of a .mov/.webm; VP9 alpha needs the libvpx decoder."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.codec_context.name == "vp9":
            decoder = av.CodecContext.create("libvpx-vp9", "r")
            frames = [f for packet in container.demux(stream) for f in decoder.decode(packet)]
        else:
            frames = list(container.decode(stream))
        return [f.to_ndarray(format="rgba")[:, :, 3] for f in frames]


def _audio_samples(path: Path) -> tuple[np.ndarray, str]:
    """First channel of the first audio stream, ``[samples]`` float32, and its codec."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [f.to_ndarray()[0] for f in container.decode(stream)]
        return np.concatenate(chunks), stream.codec_context.name


@pytest.mark.parametrize("suffix,tolerance", [(".mp4", 6), (".mov", 3), (".webm", 8)])
def test_video_formats_keep_frames_fps_and_pixels(
    tmp_path: Path, suffix: str, tolerance: int
) -> None:
    out = tmp_path / f"out{suffix}"
    result = write_video(
        out, _marked(12), fps=24, size=(W, H), frame_count=12, crf=10, progress=False
    )
    assert (result.path, result.frames) == (out, 12)
    assert result.seconds > 0 and result.fps_achieved == pytest.approx(12 / result.seconds)
    with open_video(out) as video:
        info = video.info
        frames = list(video)
    assert (info.width, info.height, info.frame_count, info.fps) == (W, H, 12, 24.0)
    assert info.duration == pytest.approx(0.5, abs=2e-3)
    assert info.has_audio is False
    for frame in frames:
        error = np.abs(frame.rgb.astype(int) - marked_frame(frame.index, W, H)).max()
        assert error <= tolerance, (frame.index, error)
    assert list(tmp_path.iterdir()) == [out]


def test_codecs_follow_the_extension(tmp_path: Path) -> None:
    expected = {
        "a.mp4": ("h264", "yuv420p"),
        "b.mov": ("prores", "yuv422p10le"),
        "c.mov": ("prores", "yuva444p12le"),
        "d.webm": ("vp9", "yuv420p"),
    }
    for name, (codec, pix_fmt) in expected.items():
        alpha = name == "c.mov"
        frames = _rgba(3) if alpha else _marked(3)
        write_video(
            tmp_path / name, frames, fps=24, size=(W, H), frame_count=3, alpha=alpha, progress=False
        )
        with av.open(str(tmp_path / name)) as container:
            context = container.streams.video[0].codec_context
            assert (context.name, context.pix_fmt) == (codec, pix_fmt), name


# 29 frames at 25 fps is a case where moviepy's int(duration * fps) loses a frame
@pytest.mark.parametrize("count,fps", [(29, 25.0), (31, 30000 / 1001)])
def test_frame_count_is_exact(tmp_path: Path, count: int, fps: float) -> None:
    out = tmp_path / "exact.mp4"
    write_video(out, _marked(count), fps=fps, size=(W, H), frame_count=count, progress=False)
    with open_video(out) as video:
        assert video.info.frame_count == count
        assert video.info.fps == pytest.approx(fps, abs=0.01)
        assert video.info.duration == pytest.approx(count / fps, abs=1e-3)


def test_png_folder_and_pattern_are_lossless(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    write_video(folder, _marked(4), fps=24, size=(W, H), frame_count=4, progress=False)
    assert sorted(p.name for p in folder.glob("*.png")) == [f"{i:05d}.png" for i in range(4)]
    pattern = tmp_path / "seq" / "shot_%03d.png"
    write_video(pattern, _marked(4), fps=24, size=(W, H), frame_count=4, progress=False)
    names = sorted(p.name for p in pattern.parent.glob("*.png"))
    assert names == [f"shot_{i:03d}.png" for i in range(4)]
    with open_video(pattern.parent) as video:
        for frame in video:
            assert np.array_equal(frame.rgb, marked_frame(frame.index, W, H))


@pytest.mark.parametrize("name,tolerance", [("alpha.mov", 1), ("alpha.webm", 12), ("alpha_seq", 0)])
def test_alpha_round_trip(tmp_path: Path, name: str, tolerance: int) -> None:
    out = tmp_path / name
    assert output_supports_alpha(out)
    written = list(_rgba(6))
    write_video(
        out, iter(written), fps=24, size=(W, H), frame_count=6, alpha=True, crf=10, progress=False
    )
    if out.is_dir():
        files = sorted(out.glob("*.png"))
        decoded = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED)[:, :, 3] for p in files]
        rgb = cv2.cvtColor(cv2.imread(str(files[2]), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
        assert np.array_equal(rgb, written[2])
    else:
        decoded = _decoded_alpha(out)
    assert len(decoded) == 6
    for index, alpha in enumerate(decoded):
        error = np.abs(alpha.astype(int) - written[index][:, :, 3]).max()
        assert error <= tolerance, (index, error)


def test_rgba_frames_without_alpha_drop_the_alpha(tmp_path: Path) -> None:
    out = tmp_path / "flat.mov"
    write_video(out, _rgba(3), fps=24, size=(W, H), frame_count=3, progress=False)
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv422p10le"


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_source_audio_is_copied_bit_exact(tmp_path: Path, scene_clip, suffix: str) -> None:
    source, _ = scene_clip
    out = tmp_path / f"with_audio{suffix}"
    with open_video(source) as video:
        write_video(
            out,
            (f.rgb for f in video),
            fps=video.info.fps,
            size=(video.info.width, video.info.height),
            frame_count=video.info.frame_count,
            audio_source=source,
            progress=False,
        )
    with open_video(out) as video:
        assert video.info.has_audio and video.info.frame_count == 24
    original, _ = _audio_samples(source)
    copied, codec = _audio_samples(out)
    assert codec == "aac"
    assert len(copied) == len(original)
    assert np.array_equal(copied, original)
    assert np.abs(copied).max() > 0.1  # the tone is there


def test_audio_is_trimmed_to_the_rendered_range(tmp_path: Path, scene_clip) -> None:
    source, _ = scene_clip
    out = tmp_path / "second_half.mp4"
    with open_video(source) as video:
        frames = (f.rgb for f in video.frames(12))
        write_video(out, frames, fps=24, size=(320, 240), frame_count=12, audio_source=source,
                    audio_start=0.5, progress=False)  # fmt: skip
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert float(audio.duration * audio.time_base) == pytest.approx(0.5, abs=0.025)
    original, _ = _audio_samples(source)
    trimmed, _ = _audio_samples(out)
    assert abs(len(trimmed) - 24000) <= 1024
    # the copied packets decode to the source's own samples from 0.5 s on
    assert np.abs(trimmed[2048:4096] - original[24000 + 2048 : 24000 + 4096]).max() < 1e-3


def test_audio_the_container_cannot_hold_is_reencoded(tmp_path: Path) -> None:
    source = write_clip(tmp_path / "pcm.mov", frames=12, audio_codec="pcm_s16le")
    out = tmp_path / "from_pcm.mp4"
    write_video(out, _marked(12), fps=24, size=(W, H), frame_count=12, audio_source=source,
                progress=False)  # fmt: skip
    samples, codec = _audio_samples(out)
    assert codec == "aac"
    assert len(samples) / 48000 == pytest.approx(0.5, abs=0.03)
    rms = np.sqrt(np.mean(samples[4800:19200] ** 2))
    assert rms == pytest.approx(0.2 / np.sqrt(2), rel=0.05)  # the 0.2-amplitude tone


def test_webm_gets_opus_audio(tmp_path: Path, scene_clip) -> None:
    source, _ = scene_clip
    out = tmp_path / "web.webm"
    with open_video(source) as video:
        write_video(out, (f.rgb for f in video), fps=24, size=(320, 240), frame_count=24,
                    audio_source=source, progress=False)  # fmt: skip
    samples, codec = _audio_samples(out)
    assert codec == "opus"
    assert len(samples) / 48000 == pytest.approx(1.0, abs=0.03)


def test_odd_size_mp4_is_padded_and_mov_keeps_it(tmp_path: Path) -> None:
    for name in ("odd.mp4", "odd.mov"):
        frames = _marked(3, 33, 21)
        write_video(
            tmp_path / name, frames, fps=24, size=(33, 21), frame_count=3, crf=10, progress=False
        )
    with open_video(tmp_path / "odd.mp4") as video:
        padded = video.read(1)
    assert padded.shape == (22, 34, 3)
    # the padding repeats the last column and row
    assert np.abs(padded[:, 33].astype(int) - padded[:, 32]).max() <= 6
    assert np.abs(padded[21].astype(int) - padded[20]).max() <= 6
    with open_video(tmp_path / "odd.mov") as video:
        assert (video.info.width, video.info.height) == (33, 21)


def test_odd_size_webm_keeps_its_size(tmp_path: Path) -> None:
    out = tmp_path / "odd.webm"
    write_video(out, _marked(3, 33, 21), fps=24, size=(33, 21), frame_count=3, crf=10,
                progress=False)  # fmt: skip
    with open_video(out) as video:
        assert (video.info.width, video.info.height) == (33, 21)
        error = np.abs(video.read(1).astype(int) - marked_frame(1, 33, 21)).max()
    assert error <= 12


def test_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    def frames_then_ctrl_c() -> Iterator[np.ndarray]:
        yield from _marked(5)
        raise KeyboardInterrupt

    for name in ("cut.mp4", "cut_frames"):
        with pytest.raises(KeyboardInterrupt):
            write_video(tmp_path / name, frames_then_ctrl_c(), fps=24, size=(W, H), frame_count=12,
                        progress=False)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


_SLOW_WRITER = """
import sys, time
import numpy as np
from vfx.io import write_video

def frames():
    for i in range(10000):
        time.sleep(0.02)
        yield np.full((48, 64, 3), i % 256, np.uint8)

write_video(sys.argv[1], frames(), fps=24, size=(64, 48), frame_count=10000, progress=False)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_stop_signals_leave_nothing(tmp_path: Path, signum: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    out = tmp_path / "killed.mp4"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(out)], env=env)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".killed.mp4.partial") for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signum)
    assert proc.wait(timeout=60) != 0
    assert list(tmp_path.iterdir()) == []


def test_writer_errors(tmp_path: Path) -> None:
    with pytest.raises(VfxError, match="cannot store alpha"):
        write_video(tmp_path / "a.mp4", _rgba(2), fps=24, size=(W, H), frame_count=2, alpha=True)
    with pytest.raises(VfxError, match="unknown preset 'quick'; use one of ultrafast"):
        write_video(
            tmp_path / "a.mp4", _marked(2), fps=24, size=(W, H), frame_count=2, preset="quick"
        )
    with pytest.raises(VfxError, match="cannot tell the output format"):
        write_video(tmp_path / "a.avi", _marked(2), fps=24, size=(W, H), frame_count=2)
    with pytest.raises(VfxError, match="ended after 2 of 5"):
        write_video(
            tmp_path / "short.mp4", _marked(2), fps=24, size=(W, H), frame_count=5, progress=False
        )
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    with pytest.raises(VfxError, match="holds other files"):
        write_video(
            busy / "%05d.png", _marked(2), fps=24, size=(W, H), frame_count=2, progress=False
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    assert not output_supports_alpha("x.mp4") and output_supports_alpha("out/")


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_video(tmp_path / "bar.mp4", _marked(3), fps=24, size=(W, H), frame_count=3)
    captured = capsys.readouterr()
    assert "3/3" in captured.err and captured.out == ""
    write_video(
        tmp_path / "quiet.mp4", _marked(3), fps=24, size=(W, H), frame_count=3, progress=False
    )
    assert capsys.readouterr().err == ""
