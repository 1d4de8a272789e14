"""Resource bounds on what user files may make vfx allocate or wait for.

Small hostile files can declare huge things: a YAML alias bomb, a 2 KB COCO file
claiming a 40000 x 40000 mask, a label map with ten thousand ids, a server that
drips a byte a second. Every reader checks the declared size against these
bounds (and against the video) *before* decoding, and refuses with one line that
names the environment variable raising the bound. docs/safety.md lists them.

Each bound is read from the environment when used, so a test or a user can
raise it for one run: ``VFX_MAX_OBJECTS=500 vfx render ...``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from vfx.errors import VfxError
from vfx.whole_numbers import whole_number


@dataclass(frozen=True)
class Limit:
    """One resource bound: its environment variable, default and what it bounds."""

    env: str
    default: int
    what: str

    @property
    def value(self) -> int:
        """The bound in effect: ``$env`` when set to a positive whole number, else the default."""
        raw = os.environ.get(self.env)
        if raw is None:
            return self.default
        return whole_number(raw, self.env, "unset it", minimum=1)

    def check(self, amount: int, subject: str) -> None:
        """Raise :class:`VfxError` when ``amount`` exceeds the bound; ``subject`` says whose."""
        if amount > self.value:
            raise VfxError(
                f"{subject} has {amount} {self.what}, more than the limit of {self.value}; "
                f"if that is intended, raise it with {self.env}={amount}"
            )


def check_range(value: float, option: str, low: float, high: float, example: str) -> None:
    """Raise :class:`VfxError` unless ``low <= value <= high`` (so inf, nan and 1e9 are refused)."""
    if not math.isfinite(value) or not low <= value <= high:
        raise VfxError(f"{option} must be between {low:g} and {high:g}, got {value:g}; {example}")


YAML_BYTES = Limit("VFX_MAX_YAML_BYTES", 4 << 20, "bytes")
YAML_NODES = Limit("VFX_MAX_YAML_NODES", 200_000, "YAML nodes")
YAML_DEPTH = Limit("VFX_MAX_YAML_DEPTH", 64, "levels of nesting")
IMAGE_PIXELS = Limit("VFX_MAX_IMAGE_PIXELS", 64_000_000, "pixels")
OBJECTS = Limit("VFX_MAX_OBJECTS", 256, "objects")
METADATA_BYTES = Limit("VFX_MAX_METADATA_BYTES", 256 << 20, "bytes")
DOWNLOAD_SECONDS = Limit("VFX_DOWNLOAD_TIMEOUT", 3600, "seconds")

ALL_LIMITS = (
    YAML_BYTES,
    YAML_NODES,
    YAML_DEPTH,
    IMAGE_PIXELS,
    OBJECTS,
    METADATA_BYTES,
    DOWNLOAD_SECONDS,
)
"""Every bound, for docs/safety.md (a test checks that the page lists them all)."""
