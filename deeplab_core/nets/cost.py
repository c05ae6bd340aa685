"""What a smaller output stride costs, measured on the network rather than quoted.

- **Multiply-accumulates (MACs)**: `torch.utils.flop_counter.FlopCounterMode` counts the FLOPs of every
  convolution and matrix product in one forward pass (2 FLOPs per MAC); batch norm, ReLU, pooling and the final
  bilinear upsampling are not counted. The count depends on shapes only, so it runs on the meta device.
- **Activation memory**: the bytes of every `nn.Conv2d` output in one forward pass (float32), collected by forward
  hooks. It is the size of the feature maps the network computes, not the peak memory of the process: BN and ReLU
  outputs of the same shape are not counted again, and PyTorch frees most maps before the pass ends.
- **Latency**: wall-clock time of the real model on its device, median of a few runs after a warm-up.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from deeplab_core.config import NO_MULTI_GRID, OUTPUT_STRIDES
from deeplab_core.nets.device import module_device, synchronize
from deeplab_core.nets.inspection import output_stride_of
from deeplab_core.nets.parts import backbone_of
from deeplab_core.nets.wiring import set_output_stride


@dataclass(frozen=True)
class Cost:
    output_stride: int
    input_size: int
    feature_size: int  # side of the backbone's last map
    backbone_macs: int
    head_macs: int  # the ASPP head (classifier)
    activation_bytes: int  # sum of Conv2d output sizes, see the module docstring
    conv_outputs: int  # how many Conv2d outputs that sum covers

    @property
    def macs(self) -> int:
        return self.backbone_macs + self.head_macs


def count_cost(model: nn.Module, input_size: int) -> Cost:
    """MACs and activation memory of one forward pass of `model` (any device; meta costs no arithmetic)."""
    sizes: list[int] = []
    feature: list[int] = []

    def record(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        sizes.append(output.numel() * output.element_size())

    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks.append(backbone_of(model).register_forward_hook(lambda _m, _i, out: feature.append(out["out"].shape[-1])))
    try:
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.zeros(1, 3, input_size, input_size, device=module_device(model)))  # (1, 3, H, W)
    finally:
        for hook in hooks:
            hook.remove()
    flops = {name: sum(ops.values()) for name, ops in counter.get_flop_counts().items()}
    root = type(model).__name__
    return Cost(
        output_stride=output_stride_of(model),
        input_size=input_size,
        feature_size=feature[0],
        backbone_macs=flops.get(f"{root}.backbone", 0) // 2,
        head_macs=flops.get(f"{root}.classifier", 0) // 2,
        activation_bytes=sum(sizes),
        conv_outputs=len(sizes),
    )


def cost_by_output_stride(model: nn.Module, input_size: int, multi_grid: tuple[int, ...] = NO_MULTI_GRID) -> list[Cost]:
    """count_cost at output stride 32, 16 and 8. Re-wires `model` in place: pass a twin (network_inspect.architecture),
    never a model other code is using."""
    costs = []
    for output_stride in OUTPUT_STRIDES:
        set_output_stride(model, output_stride, multi_grid)
        costs.append(count_cost(model, input_size))
    return costs


@dataclass(frozen=True)
class Latency:
    input_size: int
    device: str
    runs_s: tuple[float, ...]

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs_s)


def measure_latency(model: nn.Module, input_size: int, *, repeats: int = 3, warmup: int = 1) -> Latency:
    """Median wall-clock seconds of one forward pass on a (1, 3, input_size, input_size) input."""
    device = module_device(model)
    x = torch.randn(1, 3, input_size, input_size, device=device)  # (1, 3, H, W)

    def once() -> float:
        start = time.perf_counter()
        with torch.no_grad():
            model(x)
        synchronize(device)
        return time.perf_counter() - start

    for _ in range(warmup):
        once()
    return Latency(input_size, device.type, tuple(once() for _ in range(repeats)))
