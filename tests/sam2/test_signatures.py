"""Every public method and keyword of the official predictors and builders exists here with the
same name, kind, position and default (compared with ``inspect.signature`` of the reference,
through the bridge); the few deliberate differences are listed with their reason."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
from sam2.build_sam import build_sam2_hf
from sam2.sam2_image_predictor import SAM2ImagePredictor
from sam2.sam2_video_predictor import SAM2VideoPredictor
from sam2.testing import write_random_checkpoint
from tests.sam2.reference_bridge import require_reference, run_reference
from tests.sam2.reference_worker import describe_signatures

TARGETS = [
    "sam2.sam2_image_predictor:SAM2ImagePredictor",
    "sam2.sam2_video_predictor:SAM2VideoPredictor",
    "sam2.build_sam:build_sam2",
    "sam2.build_sam:build_sam2_video_predictor",
    "sam2.build_sam:build_sam2_hf",
    "sam2.build_sam:build_sam2_video_predictor_hf",
]

# (target, method) whose whole signature differs by design, and why.
DIFFERENT_METHODS = {
    ("sam2.sam2_video_predictor:SAM2VideoPredictor", "__init__"): (
        "built from a typed SAM2Config by the builders; the reference's constructor takes the "
        "Hydra-instantiated config fields"
    ),
}
# (target, method, parameter) whose default differs by design, and why.
DIFFERENT_DEFAULTS = {
    ("sam2.build_sam:build_sam2", "", "device"): "None picks cuda, then mps, then cpu",
    ("sam2.build_sam:build_sam2_video_predictor", "", "device"): "as build_sam2",
}


@pytest.fixture(scope="module")
def reference() -> dict:
    require_reference()
    return run_reference([{"kind": "signatures", "targets": TARGETS}])[0]


@pytest.mark.parametrize("target", TARGETS)
def test_signatures_match_the_reference(target: str, reference: dict) -> None:
    ours = describe_signatures([target])[target]
    problems = []
    for method, official in reference[target].items():
        if (target, method) in DIFFERENT_METHODS:
            continue
        if method not in ours:
            problems.append(f"{method}: missing")
            continue
        mine = ours[method]
        names = [[name, kind] for name, kind, _ in mine]
        if names != [[name, kind] for name, kind, _ in official]:
            problems.append(f"{method}: parameters {names} != {official}")
            continue
        for (name, _, default), (_, _, expected) in zip(mine, official, strict=True):
            if default != expected and (target, method, name) not in DIFFERENT_DEFAULTS:
                problems.append(f"{method}({name}=...): default {default!r} != {expected!r}")
    assert not problems, f"{target}: " + "; ".join(problems)


def test_reference_description_is_not_empty(reference: dict) -> None:
    """The comparison above would pass vacuously on an empty description."""
    methods = reference["sam2.sam2_video_predictor:SAM2VideoPredictor"]
    assert {"reset_state", "propagate_in_video", "init_state"} <= set(methods)
    assert methods["reset_state"] == [["self", "POSITIONAL_OR_KEYWORD", "<empty>"],
                                      ["inference_state", "POSITIONAL_OR_KEYWORD", "<empty>"]]


@pytest.fixture
def fake_hub(monkeypatch, tmp_path: Path) -> list:
    """A stand-in ``huggingface_hub`` that serves a random tiny checkpoint and records calls."""
    calls = []
    checkpoint = write_random_checkpoint(tmp_path / "tiny.pt", "sam2.1_hiera_tiny", seed=0)

    def hf_hub_download(repo_id: str, filename: str) -> str:
        calls.append((repo_id, filename))
        return str(checkpoint)

    monkeypatch.setitem(sys.modules, "huggingface_hub",
                        types.SimpleNamespace(hf_hub_download=hf_hub_download))
    return calls


def test_from_pretrained_downloads_the_named_checkpoint(fake_hub) -> None:
    model = build_sam2_hf("facebook/sam2.1-hiera-tiny", device="cpu", image_size=512)
    assert model.image_size == 512
    predictor = SAM2ImagePredictor.from_pretrained(
        "facebook/sam2.1-hiera-tiny", device="cpu", mask_threshold=0.5
    )
    assert predictor.mask_threshold == 0.5 and predictor.model.image_size == 1024
    video = SAM2VideoPredictor.from_pretrained("facebook/sam2.1-hiera-tiny", device="cpu")
    assert isinstance(video, SAM2VideoPredictor) and video.fill_hole_area == 8
    generator = SAM2AutomaticMaskGenerator.from_pretrained(
        "facebook/sam2.1-hiera-tiny", device="cpu", points_per_side=8, image_size=512
    )
    assert generator.predictor.model.image_size == 512 and len(generator.point_grids[0]) == 64
    assert fake_hub == [("facebook/sam2.1-hiera-tiny", "sam2.1_hiera_tiny.pt")] * 4


def test_from_pretrained_without_huggingface_hub(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(ImportError, match="pip install huggingface_hub"):
        build_sam2_hf("facebook/sam2-hiera-tiny")
