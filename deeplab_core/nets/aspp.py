"""Atrous Spatial Pyramid Pooling (ASPP): the seed note's version and the one DeepLabv3 describes.

**ASPP** (Chen et al., DeepLabv2, TPAMI 2017; revised in DeepLabv3, arXiv:1706.05587, §3.3) probes one feature
map with parallel branches and fuses them: a 1×1 convolution, three 3×3 atrous convolutions (rates 6, 12, 18 at
output stride 16; 12, 24, 36 at 8) and **image-level features** (global average pooling, a 1×1 convolution,
bilinear upsampling back to the map's size). The branches are concatenated and projected by a 1×1 convolution.
DeepLabv3 puts batch normalization after every branch and after the projection; the seed note's version has none.

`ASPP` here keeps torchvision's module layout (`convs`, `project`), so torchvision's weights load into it as they
are, and it can **mute** a branch (replace its output by zeros) to see what that branch contributes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from deeplab_core.config import ASPP_RATES

BRANCH_KINDS = ("conv1x1", "atrous", "atrous", "atrous", "pooling")  # torchvision's order in ASPP.convs

# The seed note's module, verbatim. F.upsample is deprecated (PyTorch warns and calls F.interpolate, and leaves
# align_corners unset); SeedASPP below is this code with F.interpolate and align_corners=False written out.
SEED_SOURCE = """\
class ASPP(nn.Module):
    def __init__(self, in_channel=512, depth=256):
        super(ASPP,self).__init__()
        self.mean = nn.AdaptiveAvgPool2d((1, 1))
        self.conv = nn.Conv2d(in_channel, depth, 1, 1)
        self.atrous_block1 = nn.Conv2d(in_channel, depth, 1, 1)
        self.atrous_block6 = nn.Conv2d(in_channel, depth, 3, 1, padding=6, dilation=6)
        self.atrous_block12 = nn.Conv2d(in_channel, depth, 3, 1, padding=12, dilation=12)
        self.atrous_block18 = nn.Conv2d(in_channel, depth, 3, 1, padding=18, dilation=18)
        self.conv_1x1_output = nn.Conv2d(depth * 5, depth, 1, 1)
    def forward(self, x):
        size = x.shape[2:]
        image_features = self.mean(x)
        image_features = self.conv(image_features)
        image_features = F.upsample(image_features, size=size, mode='bilinear')
        atrous_block1 = self.atrous_block1(x)
        atrous_block6 = self.atrous_block6(x)
        atrous_block12 = self.atrous_block12(x)
        atrous_block18 = self.atrous_block18(x)
        net = self.conv_1x1_output(torch.cat([image_features, atrous_block1, atrous_block6,
                                              atrous_block12, atrous_block18], dim=1))
        return net
"""


class SeedASPP(nn.Module):
    """The seed note's ASPP with F.interpolate: no batch normalization, no ReLU, biased convolutions."""

    def __init__(self, in_channel: int = 512, depth: int = 256) -> None:
        super().__init__()
        self.mean = nn.AdaptiveAvgPool2d((1, 1))
        self.conv = nn.Conv2d(in_channel, depth, 1, 1)
        self.atrous_block1 = nn.Conv2d(in_channel, depth, 1, 1)
        self.atrous_block6 = nn.Conv2d(in_channel, depth, 3, 1, padding=6, dilation=6)
        self.atrous_block12 = nn.Conv2d(in_channel, depth, 3, 1, padding=12, dilation=12)
        self.atrous_block18 = nn.Conv2d(in_channel, depth, 3, 1, padding=18, dilation=18)
        self.conv_1x1_output = nn.Conv2d(depth * 5, depth, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        image_features = self.conv(self.mean(x))  # (B, depth, 1, 1)
        image_features = F.interpolate(image_features, size=size, mode="bilinear", align_corners=False)
        branches = [
            image_features,
            self.atrous_block1(x),
            self.atrous_block6(x),
            self.atrous_block12(x),
            self.atrous_block18(x),
        ]  # 5 × (B, depth, H, W)
        return self.conv_1x1_output(torch.cat(branches, dim=1))  # (B, depth, H, W)


class AtrousConv(nn.Sequential):
    """A 3×3 atrous convolution at `rate`, padded by `rate` so the map keeps its size, then BN and ReLU."""

    def __init__(self, in_channels: int, out_channels: int, rate: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=rate, dilation=rate, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ImagePooling(nn.Sequential):
    """Image-level features: the map's average, a 1×1 convolution with BN and ReLU, spread back over the map."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = super().forward(x)  # (B, out, 1, 1)
        return F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False)  # (B, out, H, W)


class ASPP(nn.Module):
    """DeepLabv3's ASPP with BN after every branch and after the projection; branch outputs can be muted."""

    def __init__(self, in_channels: int, atrous_rates: Sequence[int] = ASPP_RATES[16], out_channels: int = 256) -> None:
        super().__init__()
        self.atrous_rates = tuple(atrous_rates)
        conv1x1 = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU()
        )
        self.convs = nn.ModuleList(
            [
                conv1x1,
                *(AtrousConv(in_channels, out_channels, r) for r in self.atrous_rates),
                ImagePooling(in_channels, out_channels),
            ]
        )
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def branches(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [conv(x) for conv in self.convs]  # each (B, out, H, W)

    def forward(self, x: torch.Tensor, mute: Collection[int] = ()) -> torch.Tensor:
        return fuse(self, self.branches(x), mute)


def fuse(aspp: nn.Module, branches: Sequence[torch.Tensor], mute: Collection[int] = ()) -> torch.Tensor:
    """Concatenate the branch outputs, zeros for the muted ones, and project: ASPP's second half.

    Works for this module and for torchvision's ASPP alike (both have `.project`)."""
    kept = [torch.zeros_like(b) if i in mute else b for i, b in enumerate(branches)]
    project = cast(nn.Module, aspp.project)
    return project(torch.cat(kept, dim=1))  # (B, out, H, W)


def atrous_branches(aspp: nn.Module) -> list[nn.Sequential]:
    """The branches of an ASPP (torchvision's or this one) that open with a 3×3 convolution, in branch order."""
    branches = cast(list[nn.Sequential], list(cast(nn.ModuleList, aspp.convs)))
    return [branch for branch in branches if isinstance(branch[0], nn.Conv2d) and branch[0].kernel_size == (3, 3)]


def atrous_convs(aspp: nn.Module) -> list[nn.Conv2d]:
    """The 3×3 atrous convolutions of an ASPP, in branch order: the one place that knows where they are."""
    return [cast(nn.Conv2d, branch[0]) for branch in atrous_branches(aspp)]


def atrous_rates(aspp: nn.Module) -> tuple[int, ...]:
    """The rates of an ASPP's 3×3 branches, read from the convolutions."""
    return tuple(conv.dilation[0] for conv in atrous_convs(aspp))


def set_rate(conv: nn.Conv2d, rate: int) -> None:
    """Give a stride-1 convolution the atrous `rate`, padded by rate·(k − 1)/2 so the map keeps its size."""
    conv.dilation = (rate, rate)
    conv.padding = (rate * (conv.kernel_size[0] - 1) // 2,) * 2


def from_torchvision(aspp: nn.Module) -> ASPP:
    """An `ASPP` with the same sizes and rates as torchvision's `aspp`, carrying its weights."""
    first = cast(nn.Conv2d, cast(nn.Sequential, cast(nn.ModuleList, aspp.convs)[0])[0])
    twin = ASPP(first.in_channels, atrous_rates(aspp), first.out_channels)
    twin.load_state_dict(aspp.state_dict())
    return twin.to(first.weight.device).train(aspp.training)
