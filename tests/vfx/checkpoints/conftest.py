"""Fixtures for the checkpoint tests: a loopback HTTP server and generated checkpoint files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from checkpoint_http_server import LoopbackServer

from sam2.testing import write_random_checkpoint


@pytest.fixture
def loopback_server() -> Iterator[LoopbackServer]:
    """A started :class:`LoopbackServer`, stopped when the test ends."""
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def generated_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Seeded random-weight checkpoints in the official ``{"model": state_dict}`` layout,
    keyed by model name: ``sam2.1_hiera_tiny`` (about 156 MB) and ``sam2_hiera_tiny``."""
    folder = tmp_path_factory.mktemp("generated_checkpoints")
    return {
        name: write_random_checkpoint(folder / f"random_{name}.pt", name, seed=1)
        for name in ("sam2.1_hiera_tiny", "sam2_hiera_tiny")
    }


class _CreatesFileWhenUnpickled:
    """A pickle payload that would create ``marker`` if it were ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.fixture
def code_running_checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    """``(checkpoint, marker)``: a torch.save'd file whose unpickling would create ``marker``."""
    marker = tmp_path / "code_ran"
    path = tmp_path / "evil.pt"
    torch.save({"model": {"weight": _CreatesFileWhenUnpickled(marker)}}, path)
    return path, marker
