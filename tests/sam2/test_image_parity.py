"""Parity with the official SAM 2 image predictor (sam2==1.1.0) on identical random weights.

Torch differs between the sides: ours runs torch 2.13 (the project venv), the reference torch
2.14.1 (``.venv-reference``); see ``OUR_TORCH`` / ``REFERENCE_TORCH`` in reference_bridge.py.

Both sides build the same config at image_size 1024 (the official predictor only supports
1024), load the same seeded state dict and replay the same calls; one reference subprocess
answers all calls for a config (the two tiny configs share one). Tolerances (CPU fp32): image
embedding and high-res features 1e-4 abs + 1e-5 rel, mask logits and low-res logits 1e-4 abs,
IoU 1e-5 abs, binary masks may differ on at most 1e-4 of the pixels (threshold ties).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from reference_bridge import OUR_TORCH, REFERENCE_TORCH, require_reference, run_reference

from sam2.build_sam import build_sam2
from sam2.checkpoint import load_checkpoint
from sam2.configs import OFFICIAL_CONFIG_FILES
from sam2.sam2_image_predictor import SAM2ImagePredictor
from sam2.testing import random_state_dict
from tests.sam2.images import shapes_on_noise
from tests.sam2.reference_worker import sam_head_outputs

LOGIT_ATOL = 1e-4
IOU_ATOL = 1e-5
MASK_MISMATCH = 1e-4
TINY = ("sam2_hiera_tiny", "sam2.1_hiera_tiny")
LARGER = tuple(
    f"{prefix}_hiera_{size}"
    for prefix in ("sam2", "sam2.1")
    for size in ("small", "base_plus", "large")
)


def _image() -> np.ndarray:
    return shapes_on_noise(7, box=(40, 150, 60, 200), disc=(170, 250, 40))


# name -> (kwargs for predict) for the prompt cases; "mask" also gets a mask_input.
CASES = {
    "one_point_multimask": dict(point_coords=[[120, 90]], point_labels=[1], return_logits=True),
    "pos_neg_points": dict(
        point_coords=[[120, 90], [250, 170], [20, 20]],
        point_labels=[1, 1, 0],
        multimask_output=False,
        return_logits=True,
    ),
    "box": dict(box=[60, 40, 200, 150], return_logits=True),
    "box_and_points": dict(
        box=[60, 40, 200, 150],
        point_coords=[[120, 90], [190, 140]],
        point_labels=[1, 0],
        multimask_output=False,
        return_logits=True,
    ),
    "mask_input": dict(point_coords=[[130, 100]], point_labels=[1], multimask_output=False),
    "batch_of_boxes": dict(
        box=[[60, 40, 200, 150], [210, 130, 290, 210], [0, 0, 100, 100]], return_logits=True
    ),
    "binary_masks": dict(point_coords=[[250, 170]], point_labels=[1]),
}

# SAM-head calls (the building blocks of video tracking), checked on sam2.1 tiny.
HEADS_MODEL = "sam2.1_hiera_tiny"


def _head_calls() -> list[dict]:
    generator = torch.Generator().manual_seed(3)
    mask = torch.zeros(1, 1, 1024, 1024)
    mask[..., 200:600, 300:700] = 1.0
    clicks = {
        "point_coords": torch.tensor([[[400.0, 380.0], [800.0, 900.0]]]),
        "point_labels": torch.tensor([[1, 0]], dtype=torch.int32),
    }
    return [
        {"method": "_forward_sam_heads", "point_inputs": clicks, "multimask_output": True},
        {"method": "_forward_sam_heads", "point_inputs": clicks, "mask_inputs": mask},
        {
            "method": "_forward_sam_heads",
            "mask_inputs": torch.randn(1, 1, 256, 256, generator=generator),
        },
        {"method": "_use_mask_as_output", "mask_inputs": mask},
        {"method": "_use_mask_as_output", "mask_inputs": torch.zeros(1, 1, 1024, 1024)},
    ]


def _head_image() -> torch.Tensor:
    return torch.randn(1, 3, 1024, 1024, generator=torch.Generator().manual_seed(5))


def _our_heads(model) -> list[list[torch.Tensor]]:
    """Our SAM-head outputs for :func:`_head_calls`, on first-frame features."""
    return sam_head_outputs(model, _head_image(), _head_calls())


_RESULTS: dict[str, dict] = {}


def _ours(name: str) -> tuple[dict, dict[str, dict], list | None]:
    """Our features, per-case outputs (the mask_input case reuses an earlier low-res logit) and,
    for :data:`HEADS_MODEL`, the SAM-head outputs."""
    model = build_sam2(name, device="cpu")
    load_checkpoint(model, random_state_dict(name))
    heads = _our_heads(model) if name == HEADS_MODEL else None
    predictor = SAM2ImagePredictor(model)
    predictor.set_image(_image())
    features = {
        "image_embed": predictor._features["image_embed"].clone(),
        "high_res_feats": [f.clone() for f in predictor._features["high_res_feats"]],
    }
    calls: dict[str, dict] = {}
    outputs: dict[str, tuple] = {}
    for case, kwargs in CASES.items():
        kwargs = dict(kwargs)
        if case == "mask_input":
            _, ious, low = outputs["one_point_multimask"]
            kwargs["mask_input"] = low[int(np.argmax(ious))][None]  # [1, 256, 256]
        calls[case] = kwargs
        outputs[case] = predictor.predict(**kwargs)
    return features, {"calls": calls, "outputs": outputs}, heads


def _reference_request(name: str, calls: dict[str, dict]) -> dict:
    as_arrays = [
        {k: np.asarray(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        for kwargs in calls.values()
    ]
    return {
        "kind": "image_predictor",
        "config_file": OFFICIAL_CONFIG_FILES[name],
        "overrides": [],
        "state_dict": random_state_dict(name),
        "calls": [{"method": "set_image", "args": [_image()]}, {"method": "features"}]
        + [{"method": "predict", "kwargs": kwargs} for kwargs in as_arrays],
    }


def _results(name: str) -> dict:
    """Ours and the reference's results for ``name`` (the tiny configs are computed together)."""
    if name not in _RESULTS:
        group = TINY if name in TINY else (name,)
        ours = {member: _ours(member) for member in group}
        requests = [_reference_request(m, ours[m][1]["calls"]) for m in group]
        with_heads = HEADS_MODEL in group
        if with_heads:
            requests.append(
                {
                    "kind": "sam_heads",
                    "config_file": OFFICIAL_CONFIG_FILES[HEADS_MODEL],
                    "state_dict": random_state_dict(HEADS_MODEL),
                    "image": _head_image(),
                    "calls": _head_calls(),
                }
            )
        responses = run_reference(requests)
        for member, response in zip(group, responses, strict=False):
            _RESULTS[member] = {"ours": ours[member], "reference": response}
        if with_heads:
            _RESULTS[HEADS_MODEL]["reference_heads"] = responses[-1]
    return _RESULTS[name]


PARAMS = [pytest.param(name, marks=pytest.mark.parity) for name in TINY] + [
    pytest.param(name, marks=[pytest.mark.parity, pytest.mark.slow]) for name in LARGER
]


@pytest.mark.parametrize("name", PARAMS)
def test_image_features_match(name: str) -> None:
    require_reference()
    result = _results(name)
    ours, reference = result["ours"][0], result["reference"][1]
    torch.testing.assert_close(
        ours["image_embed"], reference["image_embed"], atol=LOGIT_ATOL, rtol=1e-5
    )
    assert len(ours["high_res_feats"]) == len(reference["high_res_feats"]) == 2
    for mine, theirs in zip(ours["high_res_feats"], reference["high_res_feats"], strict=True):
        torch.testing.assert_close(mine, theirs, atol=LOGIT_ATOL, rtol=1e-5)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", PARAMS)
def test_predictions_match(name: str, case: str) -> None:
    require_reference()
    result = _results(name)
    index = list(CASES).index(case)
    masks, ious, low_res = result["ours"][1]["outputs"][case]
    ref_masks, ref_ious, ref_low_res = (t.numpy() for t in result["reference"][2 + index])
    assert masks.shape == ref_masks.shape and masks.dtype == ref_masks.dtype
    assert ious.shape == ref_ious.shape and low_res.shape == ref_low_res.shape
    np.testing.assert_allclose(ious, ref_ious, rtol=0, atol=IOU_ATOL)
    np.testing.assert_allclose(low_res, ref_low_res, rtol=0, atol=LOGIT_ATOL)
    if CASES[case].get("return_logits"):
        np.testing.assert_allclose(masks, ref_masks, rtol=0, atol=LOGIT_ATOL)
        binary = masks > 0
    else:
        assert np.mean(masks != ref_masks) <= MASK_MISMATCH
        binary = masks > 0.5
    # Random weights still give real masks: neither empty nor full.
    assert 0.01 < binary.mean() < 0.99, binary.mean()


HEAD_OUTPUTS = (
    "low_res_multimasks",
    "high_res_multimasks",
    "ious",
    "low_res_masks",
    "high_res_masks",
    "obj_ptr",
    "object_score_logits",
)


@pytest.mark.parity
@pytest.mark.parametrize("call", range(5))
def test_sam_heads_match(call: int) -> None:
    require_reference()
    result = _results(HEADS_MODEL)
    ours, reference = result["ours"][2][call], result["reference_heads"][call]
    for label, mine, theirs in zip(HEAD_OUTPUTS, ours, reference, strict=True):
        assert mine.shape == theirs.shape, label
        torch.testing.assert_close(mine, theirs, atol=LOGIT_ATOL, rtol=1e-5, msg=label)
    foreground = float((ours[4] > 0).float().mean())
    if call == 4:  # an empty mask given as output: no object
        assert foreground == 0.0 and ours[6].item() == -10.0
    else:
        assert 0.01 < foreground < 0.99, foreground


def test_stated_torch_versions() -> None:
    """The versions the docstrings above state are the ones the comparison runs."""
    require_reference()
    reference = run_reference([{"kind": "versions"}])[0]
    assert torch.__version__.startswith(OUR_TORCH)
    assert reference["torch"].startswith(REFERENCE_TORCH)
    assert reference["sam2"] == "1.1.0"
