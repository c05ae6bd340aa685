"""Looking inside a DeepLabv3's ResNet backbone: feature-map sizes per stage, every block's rate, receptive field.

**Output stride** (DeepLabv3, Chen et al. 2017, §3.1) is the input size over the final feature map's size.
**Multi-grid** (§3.2) gives the three blocks of block4 (torchvision's `layer4`) unit rates (r1, r2, r3) that
multiply the stage's rate. Everything here is read from the modules or measured by running them, never from a
table on the side: `stage_shapes` hooks the stages of a real forward pass; `dilation_table` and
`backbone_layers` read each convolution's kernel size, stride, padding and dilation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from deeplab_core.maths.dilation import conv_output_size
from deeplab_core.maths.receptive_field import ConvLayer, receptive_field
from deeplab_core.nets.aspp import atrous_convs
from deeplab_core.nets.device import module_device
from deeplab_core.nets.model import DeepLab
from deeplab_core.nets.parts import aspp_of, backbone_of, child
from deeplab_core.nets.segmentation import preprocess

STAGES = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4")  # children of torchvision's backbone


@dataclass(frozen=True)
class StageShape:
    name: str
    channels: int
    height: int
    width: int


def stage_shapes(model: nn.Module, input_size: int) -> list[StageShape]:
    """Run the model's backbone on a square input and record each stage's output shape with forward hooks."""
    backbone = backbone_of(model)
    seen: dict[str, tuple[int, ...]] = {}
    hooks = [
        getattr(backbone, name).register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, tuple(out.shape))
        )
        for name in STAGES
    ]
    try:
        with torch.no_grad():
            backbone(torch.zeros(1, 3, input_size, input_size, device=module_device(model)))  # (1, 3, H, W)
    finally:
        for hook in hooks:
            hook.remove()
    return [StageShape(name, *seen[name][1:4]) for name in STAGES]


def predicted_stage_sizes(model: nn.Module, input_size: int) -> list[int]:
    """The same sizes by the formula: conv_output_size chained over conv1, the max pool and every block's 3×3."""
    backbone = backbone_of(model)
    size = input_size
    sizes = []
    for name in STAGES:
        module = getattr(backbone, name)
        convs = [module] if name in ("conv1", "maxpool") else [block.conv2 for block in module]
        for conv in convs:
            k, s, p, d = (_pair(conv.kernel_size), _pair(conv.stride), _pair(conv.padding), _pair(conv.dilation))
            size = conv_output_size(size, k, stride=s, padding=p, dilation=d)
        sizes.append(size)
    return sizes


def _pair(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else value[0]


@dataclass(frozen=True)
class BlockRate:
    stage: str  # "layer3" or "layer4" (the paper's block3 and block4)
    block: int  # index within the stage
    stride: int
    dilation: int  # the 3×3 convolution's atrous rate
    padding: int


def dilation_table(model: nn.Module) -> list[BlockRate]:
    """Every layer3/layer4 block's 3×3 convolution, as the modules are wired now (after set_output_stride)."""
    return [
        BlockRate(stage, index, block.conv2.stride[0], block.conv2.dilation[0], block.conv2.padding[0])
        for stage in ("layer3", "layer4")
        for index, block in enumerate(getattr(model.backbone, stage))
    ]


@dataclass(frozen=True)
class NamedLayer:
    name: str  # e.g. "layer4.2.conv2"
    layer: ConvLayer


def backbone_layers(model: nn.Module) -> list[NamedLayer]:
    """The ResNet's main path (conv1, max pool, each bottleneck's 1×1, 3×3, 1×1) as ConvLayers read from the
    modules. The shortcuts skip the 3×3 convolutions, so the main path has the largest receptive field."""
    backbone = backbone_of(model)

    def layer(name: str, module: nn.Module) -> NamedLayer:
        return NamedLayer(
            name,
            ConvLayer(*(_pair(getattr(module, a)) for a in ("kernel_size", "stride", "dilation", "padding"))),
        )

    layers = [layer("conv1", child(backbone, "conv1")), layer("maxpool", child(backbone, "maxpool"))]
    for stage in STAGES[2:]:
        for index, block in enumerate(getattr(backbone, stage)):
            layers += [layer(f"{stage}.{index}.{conv}", getattr(block, conv)) for conv in ("conv1", "conv2", "conv3")]
    return layers


def aspp_layers(model: nn.Module) -> list[NamedLayer]:
    """The ASPP's 3×3 atrous convolutions, each a possible last layer after the backbone."""
    return [
        NamedLayer(f"aspp.rate{conv.dilation[0]}", ConvLayer(3, 1, conv.dilation[0], int(conv.padding[0])))
        for conv in atrous_convs(aspp_of(model))
    ]


def stage_strides(model: nn.Module) -> list[int]:
    """Input pixels between neighbouring cells after each stage: the product of the strides so far (the jump)."""
    layers = backbone_layers(model)
    jumps = {
        named.name.split(".")[0]: record.jump
        for named, record in zip(layers, receptive_field([n.layer for n in layers]), strict=True)
    }
    return [jumps[name] for name in STAGES]


def output_stride_of(model: nn.Module) -> int:
    """The backbone's output stride as its modules are wired now."""
    return stage_strides(model)[-1]


def square_photo(image: Image.Image, size: int) -> Image.Image:
    """The largest centred square of `image`, resized to size × size (so 513 gives 17/33/65 logit grids)."""
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)


@dataclass(frozen=True, eq=False)
class GridLabels:
    output_stride: int
    grid: tuple[int, int]  # (h, w) of the logits before the final bilinear upsampling
    labels: np.ndarray  # (H, W) int64 at the input size


def labels_on_grid(model: DeepLab, image: Image.Image) -> GridLabels:
    """Segment a square photo at its own size; a hook reads the size of the logit grid the labels come from."""
    x = preprocess(image, model.spec, image.height, model.device)  # (1, 3, H, W) normalised
    grid: list[tuple[int, int]] = []
    hook = model.net.classifier.register_forward_hook(lambda _m, _i, out: grid.append(tuple(out.shape[-2:])))
    try:
        with torch.no_grad():
            logits = model.net(x)["out"]  # (1, C, H, W): the (1, C, h, w) grid upsampled bilinearly
    finally:
        hook.remove()
    return GridLabels(output_stride_of(model.net), grid[0], logits[0].argmax(0).cpu().numpy())


def class_shares(labels: np.ndarray, categories: Sequence[str]) -> list[tuple[str, float]]:
    """(class name, fraction of pixels) for every class present, largest first."""
    counts = np.bincount(labels.ravel(), minlength=len(categories))
    order = np.argsort(counts)[::-1]
    return [(categories[i], counts[i] / labels.size) for i in order if counts[i] > 0]
