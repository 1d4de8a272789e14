"""``ffv1 --combine separate`` keeps at most MAX_ENCODERS ffmpeg encoders open at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vfx.mask_formats.ffv1 as ffv1
from vfx.mask_formats import export_masks
from vfx.masks import MaskletStore
from vfx.sources import load_masks

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

W, H, T, OBJECTS = 40, 24, 4, 5


def _store(folder: Path) -> MaskletStore:
    rng = np.random.default_rng(3)
    meta = {
        "width": W,
        "height": H,
        "fps": 24.0,
        "frame_count": T,
        "objects": [{"id": i, "name": f"o{i}"} for i in range(1, OBJECTS + 1)],
    }
    with MaskletStore.create(folder / "store", meta) as writer:
        for t in range(T):
            masks = {i: rng.random((H, W)).astype(np.float32) for i in range(1, OBJECTS + 1)}
            writer.write_frame(t, masks)
    return MaskletStore.open(folder / "store")


def test_separate_videos_are_encoded_a_bounded_number_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path)
    live, most = [0], [0]
    real = ffv1.mask_video_writer

    def counting(*args, **kwargs):
        writer = real(*args, **kwargs)  # its ffmpeg process runs from here until close()
        live[0] += 1
        most[0] = max(most[0], live[0])
        close = writer.close

        def closing() -> None:
            if writer.proc is not None:
                live[0] -= 1
            close()

        writer.close = closing
        return writer

    monkeypatch.setattr(ffv1, "mask_video_writer", counting)
    monkeypatch.setattr(ffv1, "MAX_ENCODERS", 2)
    result = export_masks(store, tmp_path / "out", "ffv1")
    assert most[0] == 2 and live[0] == 0
    assert sorted(p.name for p in result.path.glob("*.mkv")) == [f"{i}.mkv" for i in range(1, 6)]
    back = load_masks(result.path)
    assert back.object_ids == list(range(1, OBJECTS + 1)) and back.frame_count == T
    for t in range(T):
        want, got = store.masks_at(t), back.masks_at(t)
        for obj in range(1, OBJECTS + 1):
            np.testing.assert_array_equal(got[obj], want[obj])
