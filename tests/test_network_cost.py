"""deeplab_core.nets.cost: MAC counts against a hand count from conv shapes, meta against real tensors."""

import pytest
import torch
from torch import nn

from deeplab_core.nets.cost import cost_by_output_stride, count_cost, measure_latency
from deeplab_core.nets.model import architecture
from deeplab_core.nets.wiring import set_output_stride


@pytest.fixture(scope="module")
def real_model(random_model):
    return random_model("resnet50").net


def _hand_count(model: nn.Module, input_size: int) -> tuple[int, int]:
    """Oracle: MACs = Σ over Conv2d of output elements × (in_channels / groups) × kh × kw; bytes of the outputs."""
    macs, size = [], []

    def record(conv: nn.Conv2d, _inputs, out: torch.Tensor) -> None:
        kh, kw = conv.kernel_size
        macs.append(out.numel() * conv.in_channels // conv.groups * kh * kw)
        size.append(out.numel() * out.element_size())

    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, input_size, input_size, device=next(model.parameters()).device))
    for hook in hooks:
        hook.remove()
    return sum(macs), sum(size)


@pytest.mark.parametrize("output_stride", [32, 16, 8])
def test_meta_count_equals_the_hand_count(output_stride):
    model = architecture("resnet50", output_stride)
    cost = count_cost(model, 129)
    assert (cost.macs, cost.activation_bytes) == _hand_count(model, 129)
    assert cost.output_stride == output_stride
    assert cost.feature_size == (129 - 1) // output_stride + 1


def test_meta_count_equals_the_count_on_real_tensors(real_model):
    set_output_stride(real_model, 16)
    assert count_cost(real_model, 65) == count_cost(architecture("resnet50", 16), 65)


def test_cost_rises_as_the_output_stride_falls():
    costs = cost_by_output_stride(architecture("resnet50"), 257)
    assert [c.output_stride for c in costs] == [32, 16, 8]
    assert costs[0].macs < costs[1].macs < costs[2].macs
    assert costs[0].activation_bytes < costs[1].activation_bytes < costs[2].activation_bytes
    assert all(c.conv_outputs == costs[0].conv_outputs for c in costs)  # same network, re-wired


def test_latency_is_measured(real_model):
    latency = measure_latency(real_model, 65, repeats=2, warmup=0)
    assert len(latency.runs_s) == 2 and latency.median_s > 0 and latency.device == "cpu"
