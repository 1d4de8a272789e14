"""Batched decoding of many point prompts on one image: the mask decoder shares the image side.

With one image and one dense prompt (no mask input) for B prompt sets, the two-way transformer
computes the image's first-layer projections once and attends every set's tokens to it, instead
of copying the image B times. The result must be the per-set result.
"""

from __future__ import annotations

import pytest
import torch

from sam2.build_sam import build_sam2
from sam2.testing import confident_state_dict


@pytest.fixture(scope="module")
def model():
    sam = build_sam2("sam2.1_hiera_tiny", device="cpu")
    sam.load_state_dict(confident_state_dict("sam2.1_hiera_tiny"))
    return sam.eval()


def _inputs(model, batch: int):
    generator = torch.Generator().manual_seed(4)
    image = torch.randn(1, 256, 64, 64, generator=generator)  # [1, C, h, w]
    high_res = [torch.randn(1, 32, 256, 256, generator=generator),
                torch.randn(1, 64, 128, 128, generator=generator)]  # fmt: skip
    points = torch.rand(batch, 1, 2, generator=generator) * 1024  # [B, 1 point, (x, y)]
    labels = torch.ones(batch, 1, dtype=torch.int)
    sparse, dense = model.sam_prompt_encoder(points=(points, labels), boxes=None, masks=None)
    return image, high_res, sparse, dense


@torch.inference_mode()
@pytest.mark.parametrize("multimask", [True, False])
def test_shared_image_decoding_equals_decoding_each_prompt_set(model, multimask):
    decoder, pe = model.sam_mask_decoder, model.sam_prompt_encoder.get_dense_pe()
    image, high_res, sparse, dense = _inputs(model, batch=5)
    assert dense.shape[0] == 5
    shared = decoder(image, pe, sparse, dense[:1], multimask, repeat_image=True,
                     high_res_features=high_res)  # fmt: skip
    copied = decoder(image, pe, sparse, dense, multimask, repeat_image=True,
                     high_res_features=high_res)  # fmt: skip
    one_by_one = [
        decoder(
            image,
            pe,
            sparse[i : i + 1],
            dense[i : i + 1],
            multimask,
            repeat_image=False,
            high_res_features=high_res,
        )
        for i in range(5)
    ]
    masks, ious = shared[0], shared[1]
    assert masks.shape == (5, 3 if multimask else 1, 256, 256)
    scale = masks.abs().max().item()
    assert scale > 1.0  # the masks are not trivially zero
    # float32 rounding only: 1e-5 of the largest logit (batched and single differ by ~5e-7)
    for reference in (copied, tuple(torch.cat(parts) for parts in zip(*one_by_one, strict=True))):
        torch.testing.assert_close(masks, reference[0], atol=1e-5 * scale, rtol=0)
        torch.testing.assert_close(ious, reference[1], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(shared[2], reference[2], atol=1e-5, rtol=1e-5)  # tokens


@torch.inference_mode()
def test_the_image_predictor_decodes_point_batches_on_one_shared_image(model, monkeypatch):
    """``SAM2ImagePredictor._decode`` (the generator's batched path) hands the decoder a single
    dense prompt, so the image is not repeated per prompt set."""
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    predictor = SAM2ImagePredictor(model)
    image, high_res, _, _ = _inputs(model, batch=1)
    predictor.restore_image_state(({"image_embed": image, "high_res_feats": high_res},
                                   [(1024, 1024)]))  # fmt: skip
    seen = []
    original = torch.repeat_interleave

    def spy(*args, **kwargs):
        seen.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "repeat_interleave", spy)
    coords = torch.rand(4, 1, 2) * 1024
    labels = torch.ones(4, 1, dtype=torch.int)
    low_res, ious = predictor._decode(coords, labels, multimask_output=True)
    assert low_res.shape == (4, 3, 256, 256) and ious.shape == (4, 3)
    assert not any(shape[1:] == image.shape[1:] for shape in seen)  # the image was not copied
    for i in range(4):
        alone, alone_iou = predictor._decode(coords[i : i + 1], labels[i : i + 1])
        scale = alone.abs().max().item()
        torch.testing.assert_close(low_res[i : i + 1], alone, atol=1e-5 * scale, rtol=0)
        torch.testing.assert_close(ious[i : i + 1], alone_iou, atol=1e-5, rtol=1e-5)
