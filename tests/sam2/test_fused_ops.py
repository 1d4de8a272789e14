"""The CPU shortcuts of the model agree with the plain operations they replace."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sam2.modeling.fast.fused_linear import activation_name, linear
from sam2.modeling.hiera import _max_pool_hw
from sam2.modeling.layers import LayerNorm2d
from sam2.modeling.memory_encoder import MemoryEncoder


@pytest.mark.parametrize("activation", ["none", "relu", "gelu"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_fused_linear_matches_linear_then_activation(activation, dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 33, 48, generator=gen)
    weight = torch.randn(80, 48, generator=gen) * 0.2
    bias = torch.randn(80, generator=gen)
    expected = F.linear(x, weight, bias)
    expected = {"none": expected, "relu": F.relu(expected), "gelu": F.gelu(expected)}[activation]
    with torch.inference_mode():
        got = linear(x.to(dtype), weight.to(dtype), bias.to(dtype), activation)
    assert got.shape == (2, 33, 80) and got.dtype == dtype
    tolerance = 1e-5 if dtype == torch.float32 else 0.1
    torch.testing.assert_close(got.float(), expected, atol=tolerance, rtol=tolerance)
    if activation == "relu":
        assert (got == 0).any() and (got > 0).any()


def test_fused_linear_keeps_autograd() -> None:
    layer = nn.Linear(8, 4)
    x = torch.randn(5, 8, requires_grad=True)
    linear(x, layer.weight, layer.bias, "gelu").sum().backward()
    expected = torch.autograd.grad(F.gelu(layer(x)).sum(), x)[0]
    torch.testing.assert_close(x.grad, expected)
    assert layer.weight.grad is not None


def test_fused_linear_rejects_unknown_activation() -> None:
    with pytest.raises(ValueError, match="activation"):
        linear(torch.zeros(1, 2), torch.zeros(3, 2), None, "tanh")
    assert activation_name(nn.GELU(approximate="tanh")) is None
    assert activation_name(nn.ReLU()) == "relu"


@pytest.mark.parametrize("size", [(8, 6), (7, 5)])
def test_query_pooling_matches_max_pool(size) -> None:
    x = torch.randn(2, *size, 3)  # [B, H, W, C]
    pool = nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2), ceil_mode=False)
    expected = F.max_pool2d(x.permute(0, 3, 1, 2), 2, 2).permute(0, 2, 3, 1)
    torch.testing.assert_close(_max_pool_hw(x, pool), expected, rtol=0, atol=0)


def test_layer_norm_2d_normalises_channels() -> None:
    norm = LayerNorm2d(6, eps=1e-6)
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 2.0, 6))
        norm.bias.copy_(torch.linspace(-1.0, 1.0, 6))
    x = torch.randn(2, 6, 5, 7) * 3 + 1
    centred = x - x.mean(dim=1, keepdim=True)
    normed = centred / torch.sqrt(centred.pow(2).mean(dim=1, keepdim=True) + 1e-6)
    expected = norm.weight[:, None, None] * normed + norm.bias[:, None, None]
    torch.testing.assert_close(norm(x), expected, atol=1e-5, rtol=1e-5)


def test_memory_encoder_projects_a_shared_frame_once() -> None:
    torch.manual_seed(0)
    encoder = MemoryEncoder(out_dim=16, in_dim=32, fuser_num_layers=1).eval()
    frame = torch.randn(1, 32, 4, 4)
    masks = torch.randn(3, 1, 64, 64)
    with torch.inference_mode():
        shared = encoder(frame.expand(3, -1, -1, -1), masks)["vision_features"]
        copied = encoder(frame.repeat(3, 1, 1, 1), masks)["vision_features"]
    assert shared.shape == (3, 16, 4, 4) and shared.is_contiguous()
    torch.testing.assert_close(shared, copied, atol=1e-6, rtol=1e-6)
    assert not torch.allclose(shared[0], shared[1])


@pytest.mark.parametrize(
    ("flags", "expected"),
    [("fpu avx2 avx512f avx512_bf16", True), ("fpu avx2 amx_bf16 amx_tile", True),
     ("fpu avx2 fma", False)],
)
def test_native_bf16_reads_the_cpu_flags(tmp_path, flags, expected) -> None:
    from sam2.cpu_features import native_bf16

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\nbugs\t\t: none\n")
    assert native_bf16(cpuinfo) is expected
    (tmp_path / "empty").write_text("processor\t: 0\n")
    assert native_bf16(tmp_path / "empty") is None
    assert native_bf16(tmp_path / "missing") is None


@pytest.fixture
def folded():
    from sam2.modeling.fast import folded_attention

    if not folded_attention.available():
        pytest.skip("no C compiler: the folded attention's kernel cannot be built here")
    return folded_attention


@pytest.mark.parametrize(("score_scale", "tolerance"), [(1.0, 2e-5), (60.0, 1e-4)])
def test_folded_attention_matches_sdpa_over_the_memory(folded, score_scale, tolerance) -> None:
    """Several query and key blocks (the last ones partial), two heads, a batch of two, and
    scores large enough that an unshifted softmax would overflow (a near one-hot softmax, where
    the two implementations' ``exp`` roundings show most)."""
    gen = torch.Generator().manual_seed(0)
    queries, keys = folded.QUERY_BLOCK + 37, 2 * folded.KEY_BLOCK + 90
    q = torch.randn(2, 2, queries, 32, generator=gen) * score_scale
    k = torch.randn(2, 2, keys, 32, generator=gen)
    memory = torch.randn(2, keys, 16, generator=gen)
    got = folded.folded_attention(q, k, memory)
    expected = F.scaled_dot_product_attention(q, k, memory[:, None].expand(-1, 2, -1, -1))
    assert got.shape == (2, 2, queries, 16) and torch.isfinite(got).all()
    torch.testing.assert_close(got, expected, atol=tolerance, rtol=1e-4)


def test_memory_attention_without_the_kernel_uses_sdpa(folded, monkeypatch) -> None:
    """``SAM2_NO_NATIVE=1`` turns the kernel off; both paths give the module's result."""
    from sam2.modeling.fast.memory_attention import FastMemoryAttention
    from sam2.modeling.memory_attention import MemoryAttention

    torch.manual_seed(0)
    module = MemoryAttention(64, 2, 1, 128, kv_in_dim=16, rope_theta=10000.0).eval()
    args = {
        "curr": torch.randn(64, 2, 64),  # an 8x8 grid, two objects
        "curr_pos": torch.randn(64, 2, 64),
        "memory": torch.randn(2 * 64 + 8, 2, 16),  # two memory frames and 8 pointer tokens
        "memory_pos": torch.randn(2 * 64 + 8, 2, 16),
        "num_obj_ptr_tokens": 8,
    }
    with torch.inference_mode():
        expected = module(**args)
        native = FastMemoryAttention(module)(**args)
        monkeypatch.setenv("SAM2_NO_NATIVE", "1")
        folded._kernel.cache_clear()
        try:
            assert not folded.available()
            plain = FastMemoryAttention(module)(**args)
        finally:
            monkeypatch.delenv("SAM2_NO_NATIVE")
            folded._kernel.cache_clear()
    torch.testing.assert_close(native, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(plain, expected, atol=1e-5, rtol=1e-5)


def test_fused_linear_runs_bf16_without_onednn_bf16_kernels(monkeypatch) -> None:
    """A CPU without AVX-512 has no oneDNN bf16 kernels: bf16 must take F.linear, not fail."""
    from sam2.modeling.fast import fused_linear

    def no_kernel(*args: object) -> torch.Tensor:
        raise RuntimeError("could not create a primitive descriptor")

    monkeypatch.setattr(fused_linear, "bf16_kernels", lambda: False)
    monkeypatch.setattr(fused_linear, "_FUSED", no_kernel)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(3, 16, generator=gen).to(torch.bfloat16)
    weight = (torch.randn(8, 16, generator=gen) * 0.2).to(torch.bfloat16)
    bias = torch.randn(8, generator=gen).to(torch.bfloat16)
    with torch.inference_mode():
        got = linear(x, weight, bias, "gelu")
        with pytest.raises(RuntimeError, match="primitive"):
            linear(x.float(), weight.float(), bias.float(), "gelu")  # fp32 still takes oneDNN
    torch.testing.assert_close(got, F.gelu(F.linear(x, weight, bias)), atol=0, rtol=0)
