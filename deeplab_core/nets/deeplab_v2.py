"""DeepLab v2's atrous spatial pyramid pooling on VGG-16 (Chen et al., "DeepLab: Semantic Image Segmentation with
Deep Convolutional Nets, Atrous Convolution, and Fully Connected CRFs", TPAMI 2018, §3.2 and Fig. 7).

Instead of one fc6, four parallel branches read pool5 of the hole-algorithm VGG-16 (output stride 8, as in v1):
each is its own fc6 (3×3, atrous rate r, 1024 channels) → fc7 (1×1, 1024) → fc8 (1×1, classes), and the four
class-score maps are **summed** ("fused"). ASPP-L uses rates (6, 12, 18, 24), ASPP-S (2, 4, 8, 12).
No batch normalization and no image-level pooling: both arrive with DeepLabv3 (2017, §3.3), whose ASPP
concatenates 256-channel branches and projects them with a 1×1 convolution instead of adding class scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from deeplab_core.nets.checkpoints import NUM_CLASSES
from deeplab_core.nets.deeplab_v1 import hole_vgg16_features

ASPP_RATES: dict[str, tuple[int, ...]] = {"ASPP-L": (6, 12, 18, 24), "ASPP-S": (2, 4, 8, 12)}
BRANCH_CHANNELS = 1024


class V2Branch(nn.Sequential):
    """fc6 (3×3, rate r, padding r: the map keeps its size) → fc7 (1×1) → fc8 (1×1 to the classes)."""

    def __init__(self, in_channels: int, rate: int, channels: int, num_classes: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, channels, 3, padding=rate, dilation=rate),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.5),
            nn.Conv2d(channels, channels, 1),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.5),
            nn.Conv2d(channels, num_classes, 1),
        )


class ASPPv2(nn.Module):
    """Parallel branches at several rates; their class scores are added."""

    def __init__(
        self,
        rates: Sequence[int],
        in_channels: int = 512,
        channels: int = BRANCH_CHANNELS,
        num_classes: int = NUM_CLASSES,
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(V2Branch(in_channels, rate, channels, num_classes) for rate in rates)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([branch(x) for branch in self.branches]).sum(0)  # (B, classes, h, w): sum fusion


class DeepLabV2VGG(nn.Module):
    """The hole-algorithm VGG-16 of DeepLab v1 (conv1_1 … pool5) followed by ASPP-L or ASPP-S."""

    def __init__(self, aspp: str = "ASPP-L", num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.features = hole_vgg16_features()
        self.aspp = ASPPv2(ASPP_RATES[aspp], num_classes=num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.aspp(self.features(x))  # (B, classes, H/8, W/8)


@dataclass(frozen=True)
class LayerInfo:
    kernel_size: int
    rate: int
    in_channels: int
    out_channels: int


@dataclass(frozen=True)
class BranchLayers:
    rate: int  # fc6's atrous rate
    layers: tuple[LayerInfo, ...]  # fc6, fc7, fc8 as read from the convolutions
    batch_norm: bool


def describe_aspp_v2(aspp: ASPPv2) -> list[BranchLayers]:
    """Every branch's convolutions, read from the module (for the diagram)."""
    described = []
    for module in aspp.branches:
        branch = cast(nn.Sequential, module)
        convs = [m for m in branch if isinstance(m, nn.Conv2d)]
        layers = tuple(LayerInfo(c.kernel_size[0], c.dilation[0], c.in_channels, c.out_channels) for c in convs)
        described.append(BranchLayers(convs[0].dilation[0], layers, any(isinstance(m, nn.BatchNorm2d) for m in branch)))
    return described


def score_shape(net: DeepLabV2VGG, input_size: int) -> tuple[int, int, int]:
    """(classes, h, w) of the summed scores for a square input, by running the module (on its own device)."""
    device = next(net.parameters()).device
    with torch.no_grad():
        scores = net(torch.zeros(1, 3, input_size, input_size, device=device))  # (1, classes, h, w)
    return scores.shape[1], scores.shape[2], scores.shape[3]


def build_v2(aspp: str = "ASPP-L", *, device: str | torch.device = "meta") -> DeepLabV2VGG:
    """A DeepLab v2 (VGG-16) on `device`; on the meta device (the default) it has shapes and no numbers."""
    with torch.device(device):
        return DeepLabV2VGG(aspp).eval()
