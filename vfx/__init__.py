"""vfx: track objects through video with SAM 2 and composite effects onto them."""

from __future__ import annotations

from vfx.errors import VfxError

__version__ = "0.1.0"

__all__ = ["VfxError", "__version__"]
