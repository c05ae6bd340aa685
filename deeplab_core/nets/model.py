"""DeepLabv3 models from torchvision, and the output stride / multi-grid of their ResNet backbones.

**Output stride** (Chen et al., "Rethinking Atrous Convolution", 2017, §3.1): the ratio of the input size to
the final feature map's size. A plain ResNet has output stride 32; removing the stride of the last stages and
dilating their convolutions instead gives 16 or 8 with the same weights.

**Multi-grid** (§3.2): the three blocks of block4 (torchvision's `layer4`) use unit rates (r1, r2, r3) times the
stage's rate: output stride 16 with Multi_Grid (1, 2, 4) gives rates (2, 4, 8).

torchvision trains at output stride 8 with ASPP rates (12, 24, 36): twice the paper's (6, 12, 18) at stride 16,
because every rate is measured on a feature map twice as fine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torchvision.models.resnet import Bottleneck
from torchvision.models.segmentation import (
    deeplabv3_mobilenet_v3_large,
    deeplabv3_resnet50,
    deeplabv3_resnet101,
)

from deeplab_core.nets.checkpoints import Progress, pretrained_state_dict, weights_enum
from deeplab_core.nets.device import resolve_device

MODEL_NAMES = ("mobilenet_v3_large", "resnet50", "resnet101")
_BUILDERS = {
    "mobilenet_v3_large": deeplabv3_mobilenet_v3_large,
    "resnet50": deeplabv3_resnet50,
    "resnet101": deeplabv3_resnet101,
}
OUTPUT_STRIDES = (8, 16, 32)
ASPP_RATES = {8: (12, 24, 36), 16: (6, 12, 18), 32: (3, 6, 9)}  # the same field of view on every grid


@dataclass(frozen=True)
class ModelSpec:
    """What a loaded model is, kept on the model as `model.spec`."""

    name: str
    weights: str  # "pretrained", "random" or the path of a state dict
    categories: tuple[str, ...]  # the 21 VOC classes, from torchvision's weight metadata
    resize_size: int  # torchvision's preprocessing resizes the short side to this
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    @property
    def trained(self) -> bool:
        return self.weights != "random"


def load_model(
    name: str,
    *,
    weights: str | Path = "pretrained",
    device: str | torch.device | None = None,
    progress: Progress | None = None,
) -> nn.Module:
    """A DeepLabv3 in eval mode on `device`, without the auxiliary head, with `model.spec` describing it.

    weights: "pretrained" (torch hub cache, downloaded when missing), "random" (untrained: shapes and timing
    only), or the path of a state dict saved from the same architecture.
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"Unknown model {name!r}; choose one of {MODEL_NAMES}.")
    enum = weights_enum(name)
    model = _BUILDERS[name](
        weights=None, weights_backbone=None, num_classes=len(enum.meta["categories"]), aux_loss=True
    )
    if weights == "pretrained":
        state = pretrained_state_dict(name, progress)
    elif weights == "random":
        state = None
    else:
        state = torch.load(Path(weights), map_location="cpu", weights_only=True)
    if state is not None:
        if not any(key.startswith("aux_classifier.") for key in state):
            model.aux_classifier = None
        model.load_state_dict(state)
    model.aux_classifier = None  # training-only head: half a ResNet stage of work we never look at
    preset = enum.transforms()
    model.spec = ModelSpec(
        name=name,
        weights=str(weights),
        categories=tuple(enum.meta["categories"]),
        resize_size=int(preset.resize_size[0]),
        mean=tuple(preset.mean),
        std=tuple(preset.std),
    )
    return model.eval().to(resolve_device(device))


def is_resnet(model: nn.Module) -> bool:
    return hasattr(model.backbone, "layer4")


def aspp_convs(model: nn.Module) -> list[nn.Conv2d]:
    """The 3×3 atrous convolutions of the model's ASPP, in branch order."""
    aspp = model.classifier[0]
    return [branch[0] for branch in aspp.convs if isinstance(branch[0], nn.Conv2d) and branch[0].kernel_size == (3, 3)]


def _set_rate(conv: nn.Conv2d, rate: int) -> None:
    conv.dilation = (rate, rate)
    conv.padding = (rate * (conv.kernel_size[0] - 1) // 2,) * 2  # size-preserving at stride 1


def _set_stage(stage: nn.Sequential, stride: int, rates: Sequence[int]) -> None:
    """Stride of the stage's first block (its 3×3 conv and its shortcut) and each block's 3×3 rate."""
    first: Bottleneck = stage[0]
    first.conv2.stride = (stride, stride)
    first.downsample[0].stride = (stride, stride)
    for block, rate in zip(stage, rates, strict=True):
        _set_rate(block.conv2, rate)


def stage_rates(
    output_stride: int, multi_grid: Sequence[int], blocks3: int, blocks4: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-block rates of layer3 and layer4. Without multi-grid, the first block of a dilated stage keeps the
    rate in force before it (torchvision's `previous_dilation`, which the pretrained weights were trained with);
    with multi-grid every block4 unit gets unit rate × stage rate, as the paper defines it."""
    rate3 = {8: 2, 16: 1, 32: 1}[output_stride]
    rate4 = {8: 4, 16: 2, 32: 1}[output_stride]
    layer3 = (1,) + (rate3,) * (blocks3 - 1)
    if tuple(multi_grid) == (1,) * len(multi_grid):
        layer4 = (rate3,) + (rate4,) * (blocks4 - 1)
    else:
        layer4 = tuple(rate4 * unit for unit in multi_grid)
    return layer3, layer4


def set_output_stride(model: nn.Module, output_stride: int, multi_grid: Sequence[int] = (1, 1, 1)) -> nn.Module:
    """Re-wire a ResNet DeepLabv3 in place for output stride 8, 16 or 32; the weights do not change."""
    if not is_resnet(model):
        raise ValueError("Output stride and multi-grid apply to the ResNet backbones, not MobileNetV3.")
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(f"Output stride must be one of {OUTPUT_STRIDES}, got {output_stride}.")
    layer3, layer4 = model.backbone.layer3, model.backbone.layer4
    if len(multi_grid) != len(layer4) or min(multi_grid) < 1:
        raise ValueError(f"Multi-grid needs {len(layer4)} positive unit rates, got {tuple(multi_grid)}.")
    rates3, rates4 = stage_rates(output_stride, multi_grid, len(layer3), len(layer4))
    _set_stage(layer3, 2 if output_stride == 16 or output_stride == 32 else 1, rates3)
    _set_stage(layer4, 2 if output_stride == 32 else 1, rates4)
    for conv, rate in zip(aspp_convs(model), ASPP_RATES[output_stride], strict=True):
        _set_rate(conv, rate)
    return model


def block_dilations(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """The 3×3 rate of every block in layer3 and layer4, read from the modules themselves."""
    return {
        name: tuple(block.conv2.dilation[0] for block in getattr(model.backbone, name)) for name in ("layer3", "layer4")
    }
