"""``ffv1``: lossless grayscale mask video (FFV1 in Matroska) at the exact source fps.

- ``OUT.mkv``: one mask (one object, ``--combine union``) or label maps
  (``--combine labels``; pixel value = object id);
- ``OUT`` without extension: a folder with ``<id>.mkv`` per object
  (``--combine separate``) and ``vfx-masks.json``.

Every frame of the source becomes one frame of the video (the exact count) and
the rational frame rate is kept (30000/1001 stays 30000/1001). Each file carries
its description in the Matroska tag ``VFX_MASKS``, so it re-imports with ids
and names.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from vfx.errors import VfxError
from vfx.io.atomic import atomic_output
from vfx.mask_formats.job import ExportJob
from vfx.mask_formats.mask_video import mask_video_writer
from vfx.mask_formats.sidecar import write_sidecar
from vfx.masks.morphology import to_uint8

# ``--combine separate`` encodes at most this many videos at once (one ffmpeg process each);
# more objects are written in further passes over the masks.
MAX_ENCODERS = 16


def write_ffv1(job: ExportJob, out: Path) -> int:
    """Write the export to ``out`` (``.mkv`` file, or folder of per-object files)."""
    fps = job.require_fps("ffv1")
    size = (job.width, job.height)
    suffix = out.suffix.lower()
    if suffix and suffix != ".mkv":
        raise VfxError(f"ffv1 writes Matroska; name the output {out.with_suffix('.mkv')}")
    if suffix == ".mkv":
        if job.layout == "objects" and len(job.objects) > 1:
            raise VfxError(
                f"{len(job.objects)} objects need one video each; give a folder as -o, "
                "or pass --combine union or --combine labels"
            )
        with atomic_output(out) as tmp:
            description = job.description("ffv1")
            writer = mask_video_writer(
                tmp, size=size, fps=fps, description=description, shown_as=out
            )
            with writer:
                for frame in job.frames():
                    if frame.labels is not None:
                        writer.write_frame(frame.labels)
                    else:
                        (alpha,) = frame.masks.values()
                        writer.write_frame(to_uint8(alpha))
            return writer.frames
    if job.layout != "objects":
        raise VfxError(
            f"--combine {job.settings['combine']} writes one video; name the output OUT.mkv"
        )
    with atomic_output(out, directory=True) as tmp:
        ids = list(job.objects)
        for first in range(0, len(ids), MAX_ENCODERS):
            group = ids[first : first + MAX_ENCODERS]
            part = replace(job, objects={obj: job.objects[obj] for obj in group}, selected=group)
            _write_objects(job, part, tmp, out)
        write_sidecar(tmp, job.description("ffv1"))
    return job.frame_count


def _write_objects(job: ExportJob, part: ExportJob, tmp: Path, out: Path) -> None:
    """One pass over the masks writing ``<id>.mkv`` into ``tmp`` for each object of ``part``
    (a ``job`` limited to at most :data:`MAX_ENCODERS` objects)."""
    with ExitStack() as stack:
        writers = {}
        for obj, name in part.objects.items():
            description = job.description(
                "ffv1", layout="mask", objects=[{"id": obj, "name": name}]
            )
            writer = mask_video_writer(
                tmp / f"{obj}.mkv",
                size=(job.width, job.height),
                fps=job.require_fps("ffv1"),
                description=description,
                shown_as=out / f"{obj}.mkv",
            )
            writers[obj] = stack.enter_context(writer)
        for frame in part.frames():
            for obj, alpha in frame.masks.items():
                writers[obj].write_frame(to_uint8(alpha))
