"""Downloading official checkpoints so that a truncated or wrong file never appears.

The bytes go to ``<name>.part`` beside the target. The part file is kept when the network
fails, so the next run resumes it with an HTTP Range request. When the body is complete its
size is checked against the server's Content-Length and, for Meta's own site, against the
official size on record. Then the file is loaded with ``weights_only=True`` and its keys and
shapes must be the requested model's. Only then is it renamed onto the official name. Any
other failure deletes the part file, so nothing is left under the final name and the message
says why.

(This is why downloads do not use :func:`vfx.io.atomic.atomic_output`: its temporary is
removed on failure, and here the partial file must survive to be resumed.)

The server is not trusted with the sizes or the pace: from any source (mirrors too) no more
than the model's official size plus :data:`SIZE_MARGIN` is accepted, whatever the headers
announce; a malformed ``Content-Length`` counts as no length; and a transfer slower than
:data:`MIN_BYTES_PER_S` over :data:`STALL_SECONDS`, or longer than ``$VFX_DOWNLOAD_TIMEOUT``
seconds in all (:data:`vfx.limits.DOWNLOAD_SECONDS`), stops (the part file is kept).
"""

from __future__ import annotations

import http.client
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from vfx import __version__, limits
from vfx.checkpoints.discovery import default_download_dir
from vfx.checkpoints.known_models import KnownModel, is_official_base, resolve_model
from vfx.checkpoints.verify import identify_file
from vfx.errors import VfxError

URL_BASE_ENV = "VFX_CHECKPOINT_URL_BASE"
CHUNK_BYTES = 1 << 20
SIZE_MARGIN = 0.10
"""A mirror's file may be this fraction larger than the official one (other zip layouts)."""
UNKNOWN_SIZE_CAP = 4 << 30
"""Most bytes accepted for a model whose official size is not on record."""
MIN_BYTES_PER_S = 16 << 10
STALL_SECONDS = 60.0
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-\d+|\*)/(\d+)")


class _Fatal(Exception):
    """A failure that resuming cannot fix: the part file is deleted."""


class _Dropped(Exception):
    """The connection failed or ended early: the part file is kept for resuming."""


def download_target(name: str, directory: str | Path | None = None) -> Path:
    """Where :func:`download_checkpoint` saves model ``name``: ``directory`` (default: the
    first ``$VFX_CHECKPOINTS`` folder, else the user cache) / the official file name."""
    folder = default_download_dir() if directory is None else Path(directory).expanduser()
    return folder / resolve_model(name).file_name


def download_checkpoint(
    name: str,
    directory: str | Path | None = None,
    *,
    url_base: str | None = None,
    progress: bool = True,
    timeout: float = 60.0,
    attempts: int = 3,
) -> Path:
    """Download, check and save the official checkpoint for model ``name``.

    Args:
        name: any accepted model spelling (``sam2.1-tiny``, ``sam2.1_hiera_tiny``...).
        directory: target folder, created if missing (default: see :func:`download_target`).
        url_base: a mirror holding the files under their official names; default
            ``$VFX_CHECKPOINT_URL_BASE``, else Meta's site.
        progress: show a progress bar on stderr.
        timeout: seconds to wait for the server before a connection counts as failed.
        attempts: connections to try in this call; each one resumes where the last stopped.

    Returns:
        The saved file. A file already present under the official name is returned as is
        (``vfx checkpoints verify`` checks it).

    Raises:
        VfxError: the download failed or the file is not the requested model; the message
            says why and whether running the same command again resumes it.
    """
    model = resolve_model(name)
    final = download_target(name, directory)
    if final.is_file():
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VfxError(
            f"cannot create the folder {final.parent} ({exc.strerror}); choose another --dir"
        ) from None
    base = url_base or os.environ.get(URL_BASE_ENV) or None
    url = model.url(base)
    official = base is None or is_official_base(base)
    known_bytes = model.official_bytes if official else None
    part = final.with_name(final.name + ".part")
    cap = (
        UNKNOWN_SIZE_CAP
        if model.official_bytes is None
        else int(model.official_bytes * (1 + SIZE_MARGIN)) + CHUNK_BYTES
    )
    transfer = _Transfer(url, part, known_bytes, cap, progress=progress, timeout=timeout)
    try:
        transfer.run(attempts)
        _check_contents(part, model)
    except _Dropped as exc:
        if transfer.saved_bytes() == 0:
            part.unlink(missing_ok=True)
            kept = "nothing was saved; check the connection and the address, then try again"
        else:
            kept = f"the partial file {part} was kept: run the same command again to resume"
        raise VfxError(f"download of {model.file_name} from {url} {exc}; {kept}") from None
    except _Fatal as exc:
        part.unlink(missing_ok=True)
        raise VfxError(
            f"download of {model.file_name} from {url} failed: the file {exc}; nothing was "
            f"saved; {_fix_hint(model, official)}"
        ) from None
    os.replace(part, final)
    return final


def _check_contents(part: Path, model: KnownModel) -> None:
    """Raise :class:`_Fatal` unless ``part`` loads safely and holds ``model``'s weights."""
    # Imported here so that importing vfx.checkpoints, and failing before any bytes arrive,
    # stay free of torch.
    from sam2.checkpoint import CheckpointError

    try:
        found = identify_file(part)
    except CheckpointError as exc:
        raise _Fatal(f"did not pass the content check ({exc})") from None
    if found.name != model.name:
        raise _Fatal(f"holds {found.name} weights, not {model.name}")


def _fix_hint(model: KnownModel, official: bool) -> str:
    if official:
        return f"try again later, or fetch {model.url()} by hand and run `vfx checkpoints verify`"
    return "check that --url-base (or $VFX_CHECKPOINT_URL_BASE) points at a mirror of the files"


class _Transfer:
    """Brings ``part`` to the complete body of ``url`` over one or more HTTP requests."""

    def __init__(
        self,
        url: str,
        part: Path,
        known_bytes: int | None,
        cap_bytes: int,
        *,
        progress: bool,
        timeout: float,
    ) -> None:
        self.url = url
        self.part = part
        self.known_bytes = known_bytes
        self.cap_bytes = cap_bytes
        self.deadline = time.monotonic() + limits.DOWNLOAD_SECONDS.value
        self.progress = progress
        self.timeout = timeout
        self.total: int | None = None  # the file's size once a server answer has said it

    def saved_bytes(self) -> int:
        return self.part.stat().st_size if self.part.exists() else 0

    def run(self, attempts: int) -> None:
        """Request until the body is complete; each request resumes where the last stopped.

        Raises:
            _Fatal: the server refused the file, or its size is not the official one.
            _Dropped: the last request ended early and made no progress, or ``attempts``
                requests were used up; ``part`` holds what arrived.
        """
        attempts = max(1, attempts)
        for attempt in range(1, attempts + 1):
            offset = self.saved_bytes()
            try:
                self.request(offset)
            except _Dropped:
                if attempt == attempts or self.saved_bytes() == offset:
                    raise
                continue
            return

    def request(self, offset: int) -> None:
        """One HTTP request appending to ``part`` from byte ``offset``."""
        headers = {"User-Agent": f"vfx/{__version__}"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = urllib.request.urlopen(
                urllib.request.Request(self.url, headers=headers), timeout=self.timeout
            )
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and offset:
                self.check_complete_part(offset, exc.headers.get("Content-Range", ""))
                return
            if exc.code >= 500:
                raise _Dropped(f"got HTTP {exc.code} {exc.reason} from the server") from None
            raise _Fatal(f"could not be fetched (HTTP {exc.code} {exc.reason})") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise _Dropped(f"could not connect ({_reason(exc)})") from None
        with response:
            start, total = self.body_range(response, offset)
            self.check_total(total)
            received = self.copy_body(response, start)
        if self.total is None:
            if self.known_bytes is not None and received != self.known_bytes:
                raise _Fatal(
                    f"is {received:,} bytes, but the official file is {self.known_bytes:,} bytes"
                )
        elif received < self.total:
            raise _Dropped(
                f"stopped at {received:,} of {self.total:,} bytes (the connection ended early)"
            )
        elif received > self.total:
            raise _Fatal(f"grew past the {self.total:,} bytes the server announced")

    def check_complete_part(self, offset: int, content_range: str) -> None:
        """HTTP 416 to a resume request is fine when the part already holds the whole file."""
        match = _CONTENT_RANGE.fullmatch(content_range.strip())
        if not match or int(match.group(2)) != offset:
            raise _Fatal(f"on the server is shorter than the {offset:,} bytes already downloaded")
        self.check_total(offset)

    def check_total(self, total: int | None) -> None:
        """Compare the size the server announces with earlier answers and the official size."""
        if total is None:
            return
        if total > self.cap_bytes:
            raise _Fatal(
                f"is announced as {total:,} bytes, more than the {self.cap_bytes:,} this model "
                "can be"
            )
        if self.total is not None and total != self.total:
            raise _Fatal(
                f"changed on the server during the download ({self.total:,} -> {total:,} bytes)"
            )
        if self.known_bytes is not None and total != self.known_bytes:
            raise _Fatal(
                f"is {total:,} bytes on the server, but the official file is "
                f"{self.known_bytes:,} bytes"
            )
        self.total = total

    def body_range(self, response: http.client.HTTPResponse, offset: int) -> tuple[int, int | None]:
        """``(first byte of the body, total file size or None)`` for a 200 or 206 answer."""
        if response.status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if not match or match.group(1) is None:
                raise _Fatal("came with a partial-content answer that has no byte range")
            start = int(match.group(1))
            if start != offset:
                raise _Fatal(f"was resumed at byte {start:,} instead of {offset:,}")
            return start, int(match.group(2))
        # A full answer (200): the server ignored Range, so the body starts over at byte 0.
        length = (response.headers.get("Content-Length") or "").strip()
        return 0, int(length) if length.isdigit() else None  # a malformed length counts as none

    def copy_body(self, response: http.client.HTTPResponse, start: int) -> int:
        """Write the body to ``part`` from byte ``start``; the part's size when the body ends."""
        received = start
        with (
            open(self.part, "r+b" if start else "wb") as out,
            tqdm(
                total=self.total,
                initial=start,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=self.part.name.removesuffix(".part"),
                disable=not self.progress,
                leave=False,
            ) as bar,
        ):
            out.seek(start)
            out.truncate()
            pace = _Pace(received, self.deadline)
            try:
                while chunk := response.read1(CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if received > self.cap_bytes:
                        raise _Fatal(f"grew past the {self.cap_bytes:,} bytes this model can be")
                    pace.check(received)
            except (OSError, http.client.HTTPException) as exc:
                of_total = "" if self.total is None else f" of {self.total:,}"
                reason = _reason(exc)
                raise _Dropped(f"stopped at {received:,}{of_total} bytes ({reason})") from None
            out.flush()
            os.fsync(out.fileno())
        return received


class _Pace:
    """Stops a transfer that is too slow (a server dripping bytes) or past its deadline."""

    def __init__(self, received: int, deadline: float) -> None:
        self.deadline = deadline
        self.window_start = time.monotonic()
        self.window_bytes = received

    def check(self, received: int) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise _Dropped(
                f"stopped at {received:,} bytes: it took longer than "
                f"{limits.DOWNLOAD_SECONDS.value} s (raise {limits.DOWNLOAD_SECONDS.env})"
            )
        if now - self.window_start >= STALL_SECONDS:
            rate = (received - self.window_bytes) / (now - self.window_start)
            if rate < MIN_BYTES_PER_S:
                raise _Dropped(
                    f"stopped at {received:,} bytes: the server sent {rate:,.0f} bytes/s over "
                    f"{STALL_SECONDS:g} s, below {MIN_BYTES_PER_S:,}"
                )
            self.window_start, self.window_bytes = now, received


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc.reason, str):
        exc = exc.reason
    return str(exc) or type(exc).__name__
