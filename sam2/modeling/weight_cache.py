"""Values derived from parameters (fused weights, resized embeddings), kept until they go stale.

A derived value is valid while every tensor it came from is the same tensor object with the same
storage, device, dtype, shape and in-place write count (``_version``). That covers everything
that changes weights: ``load_state_dict`` (writes in place), ``.to()`` / ``.half()`` (new
storage, device or dtype), assigning new parameters, and optimiser steps.

Inference tensors (parameters created or loaded under ``torch.inference_mode()``) have no write
count, so values derived from them are never cached: they are recomputed on every call, which
is always correct. With autograd recording, values are recomputed too, so gradients flow.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

import torch

T = TypeVar("T")


class DerivedCache(Generic[T]):
    """``get(key, sources, compute)`` returns ``compute()``, cached under ``key`` while the
    ``sources`` tensors are unchanged. A stale entry drops every entry (one weight change usually
    makes them all stale), and entries hold only weak references to their sources."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[tuple, T]] = {}

    def get(self, key: Hashable, sources: Sequence[torch.Tensor], compute: Callable[[], T]) -> T:
        """The cached value for ``key`` if ``sources`` did not change since it was computed."""
        if torch.is_grad_enabled() and any(t.requires_grad for t in sources):
            return compute()
        stamp = _stamp(sources)
        if stamp is None:
            return compute()
        entry = self._entries.get(key)
        if entry is not None and _same(entry[0], stamp):
            return entry[1]
        if entry is not None:
            self._entries.clear()
        value = compute()
        self._entries[key] = (stamp, value)
        return value

    def clear(self) -> None:
        """Forget every cached value."""
        self._entries.clear()


def _stamp(sources: Sequence[torch.Tensor]) -> tuple | None:
    """Identity and write state of each tensor, or ``None`` if one has no write count."""
    if any(t.is_inference() for t in sources):
        return None
    return tuple(
        (weakref.ref(t), t.data_ptr(), t.device, t.dtype, t.shape, t._version) for t in sources
    )


def _same(cached: tuple, current: tuple) -> bool:
    if len(cached) != len(current):
        return False
    pairs = zip(cached, current, strict=True)
    return all(old[0]() is new[0]() and old[1:] == new[1:] for old, new in pairs)
