"""The eight official SAM 2 / SAM 2.1 checkpoint files: where they live and how big they are.

Names are resolved by :func:`sam2.configs.canonical_name`, so every spelling the model package
accepts works here too: ``sam2.1-tiny``, ``sam2.1_hiera_tiny``, ``sam2.1_hiera_tiny.pt``,
``sam2.1_hiera_t.yaml``, ``configs/sam2.1/sam2.1_hiera_t.yaml``...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sam2.configs import MODELS as CONFIGS
from sam2.configs import OFFICIAL_CONFIG_FILES, ConfigError, canonical_name
from vfx.errors import VfxError

OFFICIAL_URL_BASE = "https://dl.fbaipublicfiles.com/segment_anything_2"
"""Meta's download site; each release sits in its own dated folder below it."""

_RELEASE_FOLDERS = {"2.0": "072824", "2.1": "092824"}

# Byte sizes of the files Meta publishes. The SAM 2.0 sizes are not recorded from an
# authoritative source, so downloads of 2.0 files skip the official-size check.
_OFFICIAL_BYTES: dict[str, int | None] = {
    "sam2_hiera_tiny": None,
    "sam2_hiera_small": None,
    "sam2_hiera_base_plus": None,
    "sam2_hiera_large": None,
    "sam2.1_hiera_tiny": 156_008_466,
    "sam2.1_hiera_small": 184_416_285,
    "sam2.1_hiera_base_plus": 323_606_802,
    "sam2.1_hiera_large": 898_083_611,
}


@dataclass(frozen=True)
class KnownModel:
    """One official checkpoint file.

    Attributes:
        name: checkpoint-style name, e.g. ``"sam2.1_hiera_tiny"`` (the key of :data:`MODELS`).
        short_name: the friendly spelling used in commands, e.g. ``"sam2.1-tiny"``.
        version: ``"2.0"`` or ``"2.1"``.
        size: ``tiny`` | ``small`` | ``base_plus`` | ``large``.
        file_name: the official file name, e.g. ``"sam2.1_hiera_tiny.pt"``.
        release: Meta's release folder, ``"072824"`` or ``"092824"``.
        config_file: the official config, e.g. ``"configs/sam2.1/sam2.1_hiera_t.yaml"``.
        official_bytes: size of the official file, or ``None`` where it is not on record.
    """

    name: str
    short_name: str
    version: str
    size: str
    file_name: str
    release: str
    config_file: str
    official_bytes: int | None

    def url(self, url_base: str | None = None) -> str:
        """The file's address under ``url_base`` (``None``: Meta's site).

        Meta's site keeps each release in a dated folder; a mirror holds the files side by
        side under their official names.
        """
        base = (OFFICIAL_URL_BASE if url_base is None else url_base).rstrip("/")
        if is_official_base(base):
            return f"{base}/{self.release}/{self.file_name}"
        return f"{base}/{self.file_name}"

    @property
    def download_command(self) -> str:
        """The exact shell command that fetches this file."""
        return f"vfx checkpoints download {self.short_name}"


def is_official_base(url_base: str) -> bool:
    """Whether ``url_base`` is Meta's download site, whose file sizes are on record."""
    return url_base.rstrip("/") == OFFICIAL_URL_BASE.rstrip("/")


def _build_table() -> dict[str, KnownModel]:
    table = {}
    for name, config in CONFIGS.items():
        prefix = "sam2.1" if config.version == "2.1" else "sam2"
        table[name] = KnownModel(
            name=name,
            short_name=f"{prefix}-{config.size}",
            version=config.version,
            size=config.size,
            file_name=f"{name}.pt",
            release=_RELEASE_FOLDERS[config.version],
            config_file=OFFICIAL_CONFIG_FILES[name],
            official_bytes=_OFFICIAL_BYTES[name],
        )
    return table


MODELS: Mapping[str, KnownModel] = _build_table()
"""Every official checkpoint, keyed by checkpoint-style name (``sam2.1_hiera_tiny``...)."""


def resolve_model(name: str) -> KnownModel:
    """The known checkpoint for any accepted spelling of a model name.

    Raises:
        VfxError: the name matches none of the eight models; the message lists them.
    """
    try:
        return MODELS[canonical_name(name)]
    except ConfigError:
        names = ", ".join(model.short_name for model in MODELS.values())
        raise VfxError(
            f"unknown SAM 2 model {name!r}; use one of {names} "
            "(official names such as sam2.1_hiera_tiny or sam2.1_hiera_t.yaml also work)"
        ) from None
