"""Tiny DeepLab variants for the train lab, built so that one design choice at a time changes.

Every variant shares a stem of three stride-2 convolutions (output stride 8) and then a deep stage of four 3 × 3
convolutions, followed by a head and bilinear upsampling of the logits to the input size:

- (a) no atrous convolution: two of the deep layers stride by 2, so the output stride is 32;
- (b) atrous: the same layers with stride 1 and the rates that keep the field of view (DeepLabv3, Chen et al.
  2017, §3.1: "remove the striding ... and apply atrous convolution with rate r = 2, 4 ... to the subsequent
  layers"), so the receptive field is unchanged and the output stride is 8;
- (c) (b) with ASPP (§3.3) instead of the plain 3 × 3 head, its rates scaled to the 12 × 12 map;
- (d) (c) plus the image-level pooling branch;
- (e) two deep stages of equal depth, equal receptive field and equal parameters: a gridding stack (2, 2, 2, 2)
  and a hybrid dilated one (1, 2, 3, 2) (Wang et al. 2018, "Understanding convolution for semantic
  segmentation", §3.2: rates without a common factor greater than 1).

Widths are chosen so that every variant has the same number of parameters within 10 % (checked by the tests).
Output stride and receptive field are not typed: `geometry` reads the Conv2d modules back as ConvLayers and runs
the course's `receptive_field` on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from deeplab_core.maths.receptive_field import ConvLayer, coverage, receptive_field
from deeplab_core.nets.lab.scenes import CLASSES

STEM_WIDTHS: tuple[int, ...] = (16, 32, 48)
STEM_KERNEL = 2  # non-overlapping: see the lesson on why
WIDTH = 48  # channels of the deep stage
HEAD = 64  # channels entering the classifier


@dataclass(frozen=True)
class VariantSpec:
    key: str
    strides: tuple[int, ...]  # of the four deep layers
    rates: tuple[int, ...]  # their dilations
    aspp_rates: tuple[int, ...] = ()  # empty: a plain 3 × 3 head
    image_pooling: bool = False
    head_rate: int = 4  # of the plain 3 × 3 head: the strides (a) keeps and the others remove, 2 × 2


VARIANTS: dict[str, VariantSpec] = {
    "a": VariantSpec("a", (2, 1, 2, 1), (1, 1, 1, 1), head_rate=1),
    "b": VariantSpec("b", (1, 1, 1, 1), (1, 2, 2, 4)),
    "c": VariantSpec("c", (1, 1, 1, 1), (1, 2, 2, 4), aspp_rates=(2, 4, 6)),
    "d": VariantSpec("d", (1, 1, 1, 1), (1, 2, 2, 4), aspp_rates=(2, 4, 6), image_pooling=True),
    "e-grid": VariantSpec("e-grid", (1, 1, 1, 1), (2, 2, 2, 2)),
    "e-hdc": VariantSpec("e-hdc", (1, 1, 1, 1), (1, 2, 3, 2)),
}
GROUPS: dict[str, tuple[str, ...]] = {"e": ("e-grid", "e-hdc")}  # a name on the command line may stand for two


def expand_keys(names: list[str]) -> list[str]:
    """Command-line names to variant keys: 'e' is both gridding and HDC; unknown names raise ValueError."""
    keys: list[str] = []
    for name in names:
        for key in GROUPS.get(name, (name,)):
            if key not in VARIANTS:
                raise ValueError(f"Unknown variant {key!r}; choose from {', '.join([*VARIANTS, *GROUPS])}.")
            keys.append(key)
    return list(dict.fromkeys(keys))


def conv_bn(c_in: int, c_out: int, kernel_size: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    padding = dilation * (kernel_size - 1) // 2  # DeepLab's "same" padding for atrous convolution
    conv = nn.Conv2d(c_in, c_out, kernel_size, stride, padding, dilation, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class ASPP(nn.Module):
    """1 × 1 branch, one 3 × 3 branch per rate, optionally image pooling; concatenated and projected."""

    def __init__(self, c_in: int, branch: int, rates: tuple[int, ...], image_pooling: bool) -> None:
        super().__init__()
        self.branches = nn.ModuleList([conv_bn(c_in, branch, 1)] + [conv_bn(c_in, branch, 3, 1, r) for r in rates])
        self.pooling = conv_bn(c_in, branch, 1) if image_pooling else None
        self.project = conv_bn(branch * (len(rates) + 1 + image_pooling), HEAD, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, C, h, w)
        parts = [b(x) for b in self.branches]  # each (B, branch, h, w)
        if self.pooling is not None:
            pooled = self.pooling(x.mean(dim=(2, 3), keepdim=True))  # (B, branch, 1, 1)
            parts.append(pooled.expand(-1, -1, *x.shape[2:]))  # the same vector at every position
        return self.project(torch.cat(parts, dim=1))  # (B, HEAD, h, w)


class TinyDeepLab(nn.Module):
    def __init__(self, spec: VariantSpec, classes: int = len(CLASSES)) -> None:
        super().__init__()
        self.spec = spec
        widths = (3, *STEM_WIDTHS)
        stem = [conv_bn(a, b, STEM_KERNEL, 2) for a, b in zip(widths, widths[1:], strict=False)]
        deep = [conv_bn(WIDTH, WIDTH, 3, s, r) for s, r in zip(spec.strides, spec.rates, strict=True)]
        self.backbone = nn.Sequential(*stem, *deep)
        self.head: nn.Module
        if spec.aspp_rates:
            # Branch width chosen so the head's parameters stay close to the plain head's (see the tests).
            self.head = ASPP(WIDTH, 16, spec.aspp_rates, spec.image_pooling)
        else:
            self.head = conv_bn(WIDTH, HEAD, 3, 1, spec.head_rate)
        self.classifier = nn.Conv2d(HEAD, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 3, H, W)
        logits = self.classifier(self.head(self.backbone(x)))  # (B, classes, H/OS, W/OS)
        return F.interpolate(logits, size=x.shape[2:], mode="bilinear", align_corners=False)  # (B, classes, H, W)


def build(key: str, seed: int = 0) -> TinyDeepLab:
    """The variant `key` with weights initialised from `seed`."""
    torch.manual_seed(seed)
    return TinyDeepLab(VARIANTS[key])


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def conv_layers(module: nn.Module) -> list[ConvLayer]:
    """The module's Conv2d layers, in order, as the course's ConvLayers (square kernels, strides, dilations)."""
    return [
        ConvLayer(m.kernel_size[0], m.stride[0], m.dilation[0], int(m.padding[0]))  # padding is never "same" here
        for m in module.modules()
        if isinstance(m, nn.Conv2d)
    ]


@dataclass(frozen=True)
class Geometry:
    output_stride: int
    receptive_field: int  # pixels, along one axis, through the widest path of the network
    global_context: bool  # image pooling: one path sees the whole image whatever its size
    holes: int  # pixels inside the receptive field that no path reaches (1-D), through the deep stage


def longest_path(model: TinyDeepLab) -> list[ConvLayer]:
    """Backbone, then the head's branch with the widest field of view, then the classifier."""
    head = model.head
    if isinstance(head, ASPP):
        branches = [conv_layers(b) for b in head.branches]
        widest = max(branches, key=lambda layers: layers[0].effective_kernel_size)
        head_layers = widest + conv_layers(head.project)
    else:
        head_layers = conv_layers(head)
    return conv_layers(model.backbone) + head_layers + conv_layers(model.classifier)


def geometry(model: TinyDeepLab) -> Geometry:
    """Output stride and receptive field read from the module by deeplab_core.maths.receptive_field."""
    path = longest_path(model)
    last = receptive_field(path)[-1]
    pooling = isinstance(model.head, ASPP) and model.head.pooling is not None
    return Geometry(last.jump, last.size, pooling, int((coverage(conv_layers(model.backbone)) == 0).sum()))


@dataclass(frozen=True)
class VariantInfo:
    key: str
    spec: VariantSpec
    parameters: int
    geometry: Geometry


def describe(key: str) -> VariantInfo:
    """Parameters and geometry of one variant, measured on a freshly built module."""
    model = build(key)
    return VariantInfo(key, model.spec, parameter_count(model), geometry(model))


def backbone_coverage(key: str) -> np.ndarray:
    """1-D paths from each input pixel to one backbone output unit (course code: maths.receptive_field.coverage)."""
    return coverage(conv_layers(build(key).backbone))
