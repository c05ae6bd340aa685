"""Feature resolution through a ResNet backbone at output stride 32, 16 or 8.

**Output stride** is the ratio of the input image's size to the size of the final feature map
(Chen et al., "Rethinking Atrous Convolution for Semantic Image Segmentation" (DeepLabv3), 2017, §3.1).
A ResNet halves its map five times (conv1, the max pool, and the first block of layer2, layer3 and layer4),
so its output stride is 32: a 513×513 image ends as a 17×17 map. DeepLab keeps a smaller output stride by
removing the last strides and giving the later convolutions an atrous **rate** instead; every stride removed
doubles the rate of the stages after it (torchvision's `replace_stride_with_dilation`).
"""

from __future__ import annotations

from dataclasses import dataclass

from deeplab_core.config import OUTPUT_STRIDES
from deeplab_core.maths.dilation import conv_output_size


@dataclass(frozen=True)
class Downsampling:
    """The stride-2 layer that opens a stage: a k×k convolution or max pool with padding p."""

    kernel_size: int
    padding: int


@dataclass(frozen=True)
class Stage:
    name: str
    downsampling: Downsampling | None  # None: the stage keeps its input's size


# torchvision.models.resnet: conv1 is 7×7/2 pad 3, the pool 3×3/2 pad 1, layer2-4 start with a 3×3/2 pad 1 conv
RESNET_STAGES: tuple[Stage, ...] = (
    Stage("conv1", Downsampling(7, 3)),
    Stage("maxpool", Downsampling(3, 1)),
    Stage("layer1", None),
    Stage("layer2", Downsampling(3, 1)),
    Stage("layer3", Downsampling(3, 1)),
    Stage("layer4", Downsampling(3, 1)),
)


@dataclass(frozen=True)
class StageSize:
    name: str
    size: int  # side of the feature map after the stage
    stride: int  # input pixels per feature cell so far
    rate: int  # atrous rate of the stage's 3×3 convolutions (1: ordinary)


def stage_sizes(input_size: int, output_stride: int = 32) -> list[StageSize]:
    """Feature-map side after each ResNet stage; strides beyond `output_stride` become atrous rates."""
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(f"Output stride must be one of {OUTPUT_STRIDES}, got {output_stride}.")
    size, stride, rate = input_size, 1, 1
    sizes = []
    for stage in RESNET_STAGES:
        down = stage.downsampling
        if down is not None and stride < output_stride:
            # o = floor((i + 2p - k) / 2) + 1, which is ceil(i / 2) for these (k, p)
            size = conv_output_size(size, down.kernel_size, stride=2, padding=down.padding)
            stride *= 2
        elif down is not None:
            rate *= 2  # the stride this stage would have taken, spent on spacing the taps instead
        sizes.append(StageSize(stage.name, size, stride, rate))
    return sizes


def final_size(input_size: int, output_stride: int = 32) -> int:
    """Side of the backbone's last feature map."""
    return stage_sizes(input_size, output_stride)[-1].size


def object_cells(object_size: int, input_size: int, output_stride: int = 32) -> float:
    """How many cells of the final map an object `object_size` pixels wide spans (it can be below one)."""
    return object_size * final_size(input_size, output_stride) / input_size
