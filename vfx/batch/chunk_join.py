"""Join the chunks of a chunked render into one file without re-encoding.

Each chunk is a complete video of consecutive frames with the same codec
settings and no audio. ffmpeg's concat demuxer copies their packets one after
another with continuous timestamps; the source's audio is carried over once,
for the whole length, by the same lossless path a plain render uses
(:func:`vfx.io.audio.extract_audio`). The joined file is written atomically and
checked to hold exactly the expected number of frames (its packets are counted;
nothing is decoded again).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.io.audio import extract_audio
from vfx.io.writer import count_written_frames, output_format


def chunk_paths(output: Path, count: int) -> list[Path]:
    """Where the ``count`` chunks of ``output`` are written: a hidden folder beside it."""
    folder = chunk_folder(output)
    return [folder / f"chunk{number:05d}{output.suffix}" for number in range(count)]


def chunk_folder(output: Path) -> Path:
    """The hidden scratch folder beside ``output`` that holds its chunks."""
    return output.parent / f".{output.name}.chunks"


def join_chunks(
    parts: list[Path], output: Path, *, source: Path, frame_count: int, fps: float
) -> None:
    """Concatenate ``parts`` into ``output`` with ``source``'s audio, copying every packet.

    Raises:
        VfxError: ffmpeg failed, or the result does not have ``frame_count`` frames.
    """
    from moviepy.config import FFMPEG_BINARY

    with (
        atomic_output(output) as tmp,
        tempfile.TemporaryDirectory(
            prefix=f".{output.name}.partial-join-", dir=output.parent
        ) as scratch,
    ):
        listing = Path(scratch) / "parts.txt"
        listing.write_text(
            "".join(f"file '{_quoted(part.resolve())}'\n" for part in parts), encoding="utf-8"
        )
        command = [
            FFMPEG_BINARY, "-y", "-loglevel", "error",
            "-f", "concat", "-safe", "0", "-i", str(listing),
        ]  # fmt: skip
        plan = extract_audio(source, Path(scratch), output.suffix, 0.0, frame_count / fps)
        if plan is not None:
            command += ["-i", str(plan.path), "-map", "0:v", "-map", "1:a"]
            command += ["-c:a", plan.ffmpeg_codec]
        command += ["-c:v", "copy", str(tmp)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            problem = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
            raise VfxError(f"joining the chunks of {output} failed ({problem}); run it unchunked")
        got = count_written_frames(tmp, output_format(output))  # packets: nothing decoded
        if got != frame_count:
            raise VfxError(
                f"the joined {output} has {got} frames, not {frame_count}; run it unchunked"
            )


def _quoted(path: Path) -> str:
    """A path inside single quotes of an ffmpeg concat list (a quote becomes '\\'')."""
    return str(path).replace("'", "'\\''")
