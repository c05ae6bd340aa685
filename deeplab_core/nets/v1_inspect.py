"""Measuring the DeepLab v1 variants on the built modules: map sizes by hooks, parameters, multiply-accumulates,
receptive fields, and the "receptive field" column of the paper's Table 2.

**Two receptive fields.** The *theoretical receptive field* of an fc8 unit is the window of input pixels that can
change it: the receptive-field recurrence (deeplab_core.maths.receptive_field) over every convolution and pooling
layer, read from the modules; tests check it against autograd. The paper's column (224 / 128 / 224 / 224) is
another quantity, which we call **fc6's field of view in the paper's convention**: fc6's window measured on
VGG-16's *original* pool5 grid (stride 32, before the hole algorithm), in cells of 32 pixels —
    FOV = 32 · ((k' − 1)·8/32 + 1) = 8 (k' − 1) + 32,     k' = k + (k − 1)(r − 1),
i.e. the distance between fc6's outermost taps in input pixels plus one 32-pixel cell. For VGG-16's own fc6
(7 taps, 32 pixels apart) it gives 7 × 32 = 224, the ImageNet crop. The paper states this convention in §3.2:
VGG-16's receptive field is "224 × 224 (with zero-padding) and 404 × 404 pixels if the net is applied
convolutionally", 128 and 308 with fc6 subsampled to 4×4. The second number is the theoretical receptive field of
VGG-16 as published (2×2 pooling windows, stride 32 at pool5): `vgg_rf`. The network built here is 15 pixels wider
(419, 323): DeepLab's release widens the first four pooling windows to 3×3, and each adds one more cell of its
input (1 + 2 + 4 + 8 pixels).

**Multiply-accumulates**: `torch.utils.flop_counter.FlopCounterMode` on the meta device (shapes only), FLOPs / 2;
convolutions only (ReLU, pooling, dropout and the final upsampling are not counted).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import vgg16

from deeplab_core.maths.dilation import conv_output_size
from deeplab_core.maths.receptive_field import ConvLayer, receptive_field
from deeplab_core.nets.deeplab_v1 import OUTPUT_STRIDE, DeepLabV1, V1Variant, build_v1

FC_LAYERS = ("fc6", "fc7", "fc8")


def _pair(value: Any) -> int:
    return value if isinstance(value, int) else int(value[0])


@dataclass(frozen=True)
class NamedLayer:
    name: str  # "conv1_1", "pool1", …, "fc8"
    layer: ConvLayer


def _as_layer(module: nn.Module) -> ConvLayer:
    """Kernel size, stride, dilation and padding of a Conv2d or MaxPool2d (both carry all four)."""
    layer = cast(nn.Conv2d, module)
    return ConvLayer(_pair(layer.kernel_size), _pair(layer.stride), _pair(layer.dilation), _pair(layer.padding))


def layers(net: DeepLabV1) -> list[NamedLayer]:
    """Every convolution and pooling layer in order, as ConvLayers read from the modules."""
    named, block, index = [], 1, 1
    for module in net.features:
        if isinstance(module, nn.Conv2d):
            named.append(NamedLayer(f"conv{block}_{index}", _as_layer(module)))
            index += 1
        elif isinstance(module, nn.MaxPool2d):
            named.append(NamedLayer(f"pool{block}", _as_layer(module)))
            block, index = block + 1, 1
    return named + [NamedLayer(name, _as_layer(getattr(net, name))) for name in FC_LAYERS]


@dataclass(frozen=True)
class StageSize:
    name: str
    channels: int
    height: int
    width: int


def stage_sizes(net: nn.Module, input_size: int) -> list[StageSize]:
    """Output shape of every pooling layer and of fc6–fc8, seen by forward hooks on one pass (any device)."""
    seen: list[StageSize] = []
    features = cast(nn.Sequential, net.features)
    named = [(f"pool{i}", m) for i, m in enumerate((m for m in features if isinstance(m, nn.MaxPool2d)), 1)]
    named += [(name, getattr(net, name)) for name in FC_LAYERS if hasattr(net, name)]
    hooks = [
        module.register_forward_hook(lambda _m, _i, out, name=name: seen.append(StageSize(name, *out.shape[1:4])))
        for name, module in named
    ]
    device = next(net.parameters()).device
    try:
        with torch.no_grad():
            net(torch.zeros(1, 3, input_size, input_size, device=device))  # (1, 3, H, W)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def predicted_sizes(net: DeepLabV1, input_size: int) -> dict[str, int]:
    """The same sides by the formula o = ⌊(i + 2p − k')/s⌋ + 1, chained over every layer."""
    size, sizes = input_size, {}
    for named in layers(net):
        layer = named.layer
        size = conv_output_size(
            size, layer.kernel_size, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
        )
        sizes[named.name] = size
    return sizes


def theoretical_rf(net: DeepLabV1) -> int:
    """Receptive field of an fc8 unit, in input pixels (the recurrence over all layers)."""
    return receptive_field([named.layer for named in layers(net)])[-1].size


def original_vgg_stride() -> int:
    """VGG-16's own output stride at pool5: the product of its pooling strides, read from torchvision's model."""
    with torch.device("meta"):
        features = vgg16(weights=None).features
    return int(torch.tensor([_pair(m.stride) for m in features if isinstance(m, nn.MaxPool2d)]).prod())


def vgg_layers(variant: V1Variant) -> list[NamedLayer]:
    """VGG-16 as published (2×2 max pooling, no hole algorithm: stride 32 at pool5) with `variant`'s fc6 at the
    rate that spans the same input pixels on that grid (r · 8 / 32 cells), then fc7 and fc8 (1×1)."""
    with torch.device("meta"):
        features = vgg16(weights=None).features
    named, block, index = [], 1, 1
    for module in features:
        if isinstance(module, nn.Conv2d | nn.MaxPool2d):
            pooling = isinstance(module, nn.MaxPool2d)
            named.append(NamedLayer(f"pool{block}" if pooling else f"conv{block}_{index}", _as_layer(module)))
            block, index = (block + 1, 1) if pooling else (block, index + 1)
    rate, rest = divmod(variant.rate * OUTPUT_STRIDE, original_vgg_stride())
    assert rest == 0, "fc6's rate must be a whole number of VGG-16's pool5 cells"
    fc6 = ConvLayer(variant.kernel_size, dilation=rate)
    return named + [NamedLayer("fc6", fc6), NamedLayer("fc7", ConvLayer(1)), NamedLayer("fc8", ConvLayer(1))]


def vgg_rf(variant: V1Variant) -> int:
    """The theoretical receptive field of `vgg_layers(variant)`: what §3.2 calls 'applied convolutionally'."""
    return receptive_field([named.layer for named in vgg_layers(variant)])[-1].size


def paper_fov(net: DeepLabV1) -> int:
    """fc6's field of view in the paper's convention: 8(k' − 1) + 32 (see the module docstring)."""
    named = layers(net)
    records = receptive_field([n.layer for n in named])
    fc6 = next(i for i, n in enumerate(named) if n.name == "fc6")
    jump = records[fc6 - 1].jump  # input pixels between neighbouring cells of fc6's input (8)
    return (named[fc6].layer.effective_kernel_size - 1) * jump + original_vgg_stride()


def fc6_parameters_closed_form(variant: V1Variant, in_channels: int = 512) -> int:
    """k² · C_in · C_out weights + C_out biases."""
    return variant.kernel_size**2 * in_channels * variant.channels + variant.channels


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def macs(net: nn.Module, input_size: int) -> int:
    """Multiply-accumulates of one forward pass on a square input (FLOPs / 2), shapes only if on meta."""
    device = next(net.parameters()).device
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(1, 3, input_size, input_size, device=device))  # (1, 3, H, W)
    return counter.get_total_flops() // 2


@dataclass(frozen=True)
class VariantRow:
    variant: V1Variant
    parameters: int
    fc6_parameters: int
    macs: int  # at `input_size`
    input_size: int
    score_map: int  # side of fc8's map
    theoretical_rf: int
    paper_fov: int
    vgg_rf: int  # the same fc6 on VGG-16 as published (2×2 pooling): §3.2's "applied convolutionally"


def variant_rows(variants: tuple[V1Variant, ...], input_size: int) -> list[VariantRow]:
    """One measured row per variant, on meta-device models (instant, no weights)."""
    rows = []
    for variant in variants:
        net = build_v1(variant, device="meta").net
        rows.append(
            VariantRow(
                variant,
                parameters(net),
                parameters(net.fc6),
                macs(net, input_size),
                input_size,
                stage_sizes(net, input_size)[-1].height,
                theoretical_rf(net),
                paper_fov(net),
                vgg_rf(variant),
            )
        )
    return rows


def forward_seconds(net: nn.Module, input_size: int, repeats: int = 1) -> float:
    """Median wall-clock seconds of one forward pass (after one warm-up) on the model's device."""
    device = next(net.parameters()).device
    x = torch.randn(1, 3, input_size, input_size, device=device)  # (1, 3, H, W)
    runs = []
    with torch.inference_mode():
        for attempt in range(repeats + 1):
            start = time.perf_counter()
            net(x)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if attempt:
                runs.append(time.perf_counter() - start)
    return statistics.median(runs)
