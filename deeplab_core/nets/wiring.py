"""Re-wiring a ResNet DeepLabv3 for another output stride and multi-grid, in place, with the same weights.

**Output stride** (Chen et al. 2017, DeepLabv3, §3.1): the ratio of the input size to the final feature map's
size. A plain ResNet has output stride 32; removing the stride of the last stages and dilating their convolutions
instead gives 16 or 8 with the same weights (torchvision's `replace_stride_with_dilation`).

**Multi-grid** (§3.2): unit rates (r1, r2, r3) for the three convolutional layers of a block, multiplied by the
block's own rate. Here they apply to the 3×3 convolutions of torchvision's `layer4` (the paper's block4), one unit
rate per bottleneck: output stride 16 with Multi_Grid (1, 2, 4) gives rates (2, 4, 8). The ASPP rates follow the
output stride (`config.ASPP_RATES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from torch import nn
from torchvision.models.resnet import Bottleneck
from torchvision.models.segmentation import DeepLabV3

from deeplab_core.config import ASPP_RATES, NO_MULTI_GRID
from deeplab_core.nets.aspp import atrous_convs, set_rate

STAGE_RATES = {8: (2, 4), 16: (1, 2), 32: (1, 1)}  # (layer3, layer4) rate at each output stride
STAGE_STRIDES = {8: (1, 1), 16: (2, 1), 32: (2, 2)}  # (layer3, layer4) stride of the first block


def _net(model: object) -> DeepLabV3:
    """The torchvision network of a `DeepLab` (its `.net`) or the network itself."""
    net = getattr(model, "net", model)
    if not isinstance(net, DeepLabV3):
        raise TypeError(f"Expected a DeepLab or a torchvision DeepLabV3, got {type(model).__name__}.")
    return net


def is_resnet(model: object) -> bool:
    return hasattr(_net(model).backbone, "layer4")


def _set_stage(stage: nn.Sequential, stride: int, rates: Sequence[int]) -> None:
    """Stride of the stage's first block (its 3×3 conv and its shortcut) and each block's 3×3 rate."""
    first = cast(Bottleneck, stage[0])
    first.conv2.stride = (stride, stride)
    first.downsample[0].stride = (stride, stride)
    for block, rate in zip(cast(list[Bottleneck], list(stage)), rates, strict=True):
        set_rate(block.conv2, rate)


def stage_rates(
    output_stride: int, multi_grid: Sequence[int], blocks3: int, blocks4: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-block rates of layer3 and layer4. Without multi-grid, the first block of a dilated stage keeps the
    rate in force before it (torchvision's `previous_dilation`, which the pretrained weights were trained with);
    with multi-grid every block4 unit gets unit rate × stage rate, as the paper defines it."""
    rate3, rate4 = STAGE_RATES[output_stride]
    layer3 = (1,) + (rate3,) * (blocks3 - 1)
    if tuple(multi_grid) == (1,) * len(multi_grid):
        layer4 = (rate3,) + (rate4,) * (blocks4 - 1)
    else:
        layer4 = tuple(rate4 * unit for unit in multi_grid)
    return layer3, layer4


def set_output_stride(model, output_stride: int, multi_grid: Sequence[int] = NO_MULTI_GRID):
    """Re-wire a ResNet DeepLabv3 (a `DeepLab` or its torchvision net) in place for output stride 8, 16 or 32;
    the ASPP rates follow. The weights do not change. Returns what it was given."""
    net = _net(model)
    if not is_resnet(net):
        raise ValueError("Output stride and multi-grid apply to the ResNet backbones, not MobileNetV3.")
    if output_stride not in ASPP_RATES:
        raise ValueError(f"Output stride must be one of {tuple(ASPP_RATES)}, got {output_stride}.")
    layer3, layer4 = net.backbone.layer3, net.backbone.layer4
    if len(multi_grid) != len(layer4) or min(multi_grid) < 1:
        raise ValueError(f"Multi-grid needs {len(layer4)} positive unit rates, got {tuple(multi_grid)}.")
    rates3, rates4 = stage_rates(output_stride, multi_grid, len(layer3), len(layer4))
    stride3, stride4 = STAGE_STRIDES[output_stride]
    _set_stage(layer3, stride3, rates3)
    _set_stage(layer4, stride4, rates4)
    for conv, rate in zip(atrous_convs(net.classifier[0]), ASPP_RATES[output_stride], strict=True):
        set_rate(conv, rate)
    return model


def block_dilations(model) -> dict[str, tuple[int, ...]]:
    """The 3×3 rate of every block in layer3 and layer4, read from the modules themselves."""
    backbone = _net(model).backbone
    return {name: tuple(block.conv2.dilation[0] for block in getattr(backbone, name)) for name in ("layer3", "layer4")}
