"""The opt-in bf16 image-encoder mode: bf16 matmuls with an fp32 softmax, agreeing with fp32."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from sam2.build_sam import build_sam2
from sam2.checkpoint import load_checkpoint
from sam2.modeling.attention import bf16_attention
from sam2.testing import random_state_dict


def test_bf16_attention_matches_fp32_sdpa() -> None:
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 300, 32, generator=generator) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v)
    got = bf16_attention(q, k, v, chunk=128)  # several chunks, one partial
    assert got.dtype == torch.bfloat16 and got.shape == expected.shape
    error = (got.float() - expected).abs()
    assert error.max() < 0.03 and error.mean() < 0.005


def test_bf16_is_opt_in() -> None:
    model = build_sam2("sam2.1_hiera_tiny", device="cpu")
    assert model.image_encoder.trunk.precision == "fp32"
    fast = build_sam2("sam2.1_hiera_tiny", device="cpu", image_encoder_precision="bf16")
    assert fast.image_encoder.trunk.precision == "bf16"
    # Weights stay fp32 so checkpoints load and save unchanged.
    assert all(p.dtype == torch.float32 for p in fast.parameters())


@pytest.mark.slow
def test_bf16_encoder_agrees_with_fp32() -> None:
    state = random_state_dict("sam2.1_hiera_tiny")
    image = torch.randn(1, 3, 512, 512, generator=torch.Generator().manual_seed(1))
    outputs = []
    for precision in ("fp32", "bf16"):
        model = build_sam2(
            "sam2.1_hiera_tiny", device="cpu", image_size=512, image_encoder_precision=precision
        )
        load_checkpoint(model, state)
        with torch.inference_mode():
            outputs.append(model.forward_image(image)["backbone_fpn"])
    for exact, fast in zip(*outputs, strict=True):
        assert fast.dtype == torch.float32
        relative = float((fast - exact).norm() / exact.norm())
        assert relative < 0.05, relative
