"""The theoretical receptive field of one photo pixel through a DeepLabv3: a box on the photo.

A photo pixel's class score is computed through four steps, and the box follows each one back:

1. the photo is resized (bilinear, antialiased) to the network input (h, w);
2. the convolutions run: the backbone, the widest 3×3 atrous branch of ASPP, the head's 3×3 and 1×1 convolutions,
   giving class scores on a coarse grid (h / output stride cells per side); the receptive-field recurrence
   (`maths.receptive_field`, Araujo et al., Distill 2019) over that path gives each cell's window;
3. the grid is upsampled bilinearly to (h, w) inside the network, and again to the photo's (H, W) for the labels,
   so one photo pixel mixes up to 2 × 2 grid cells (3 where the two upsamplings straddle cells);
4. the windows of those cells, clipped to the input, are mapped back to the photo pixels the resize reads.

The path is the one with the largest field: for a ResNet the main path read by `inspection.backbone_layers` (the
shortcuts skip the 3×3 convolutions), for a backbone whose convolutions all lie on one path (MobileNetV3, the
tests' small networks) every convolution and pooling layer in order. Global average pooling is not a
convolution and has no window: ASPP's image-pooling branch, and MobileNetV3's squeeze-and-excitation gates
(Hu et al., CVPR 2018), reach every pixel. `global_pooling` says whether the backbone has such gates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.segmentation import DeepLabV3

from deeplab_core.config import NO_MULTI_GRID
from deeplab_core.maths.receptive_field import ConvLayer, ReceptiveField, receptive_field
from deeplab_core.nets.aspp import atrous_convs
from deeplab_core.nets.inspection import aspp_layers, backbone_layers
from deeplab_core.nets.model import architecture
from deeplab_core.nets.parts import aspp_of, backbone_of, sequence

GLOBAL_POOLS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def _pair(value: object) -> int:
    if isinstance(value, str):  # padding="same"/"valid": not used by torchvision's DeepLabv3, so not handled
        raise ValueError(f"Padding {value!r} is not supported; give the padding in pixels.")
    return int(value if isinstance(value, int) else value[0])  # type: ignore[index]


def _as_layer(module: nn.Module) -> ConvLayer | None:
    if isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        dilation = getattr(module, "dilation", 1)
        return ConvLayer(*(_pair(v) for v in (module.kernel_size, module.stride, dilation, module.padding)))
    return None


def backbone_path(net: nn.Module) -> list[ConvLayer]:
    """The backbone's convolutions and poolings along its widest path, in order."""
    backbone = backbone_of(net)
    if hasattr(backbone, "layer4"):  # a ResNet: its main path, read by the inspection module
        return [named.layer for named in backbone_layers(net)]
    inside_gate = {id(m) for gate in backbone.modules() if _is_gate(gate) for m in gate.modules()}
    layers = [_as_layer(m) for m in backbone.modules() if id(m) not in inside_gate]
    return [layer for layer in layers if layer is not None]


def _is_gate(module: nn.Module) -> bool:
    """A block that pools the whole map (squeeze-and-excitation): its 1×1 convolutions are not on the path."""
    return any(isinstance(child, GLOBAL_POOLS) for child in module.children())


def global_pooling(net: nn.Module) -> bool:
    """Whether the backbone pools over the whole map somewhere (MobileNetV3's squeeze-and-excitation)."""
    return any(isinstance(m, GLOBAL_POOLS) for m in backbone_of(net).modules())


def head_path(net: nn.Module) -> list[ConvLayer]:
    """After the backbone: the widest ASPP atrous branch (or its 1×1 branch), then the head's convolutions."""
    widest = max((named.layer for named in aspp_layers(net)), key=lambda layer: layer.dilation, default=None)
    head = [_as_layer(m) for m in sequence(net, "classifier")[1:]]
    return ([widest] if widest is not None else [ConvLayer(1)]) + [layer for layer in head if layer is not None]


def logit_field(net: nn.Module) -> ReceptiveField:
    """The receptive field of one cell of the class-score grid, in network-input pixels."""
    return receptive_field(backbone_path(net) + head_path(net))[-1]


@lru_cache(maxsize=16)
def wiring(name: str, output_stride: int = 16, multi_grid: tuple[int, ...] = NO_MULTI_GRID) -> DeepLabV3:
    """Network `name` wired for these settings on the meta device (modules and shapes, no weights), built once per
    setting: for reading its layers only, never to modify or run."""
    return architecture(name, output_stride, multi_grid)


def aspp_rates(net: nn.Module) -> tuple[int, ...]:
    return tuple(conv.dilation[0] for conv in atrous_convs(aspp_of(net)))


@lru_cache(maxsize=32)  # a few photo and network sizes at a time
def resize_weights(source: int, target: int, antialias: bool = False) -> np.ndarray:
    """(target, source): the weights one axis of F.interpolate(mode="bilinear", align_corners=False) gives each
    source pixel; bilinear resizing is separable, so rows and columns each have one such matrix."""
    # image k of the batch is source pixel k alone, laid along the width: torch 2.14's antialiased kernel gives
    # wrong weights along the height of a one-pixel-wide image (every output row gets the first row's weights)
    eye = torch.eye(source, dtype=torch.float64).view(source, 1, 1, source)  # (source, 1, 1, source)
    out = F.interpolate(eye, size=(1, target), mode="bilinear", align_corners=False, antialias=antialias)
    return out[:, 0, 0, :].T.numpy()  # (target, source)


@dataclass(frozen=True)
class Box:
    """Inclusive photo rows top..bottom and columns left..right."""

    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        """(H, W) bool: True inside the box."""
        inside = np.zeros(shape, dtype=bool)
        inside[self.top : self.bottom + 1, self.left : self.right + 1] = True
        return inside


def _span(index: int, photo: int, network: int, grid: int, field: ReceptiveField) -> tuple[int, int]:
    """First and last photo pixel along one axis that photo pixel `index` can depend on through the convolutions."""
    to_photo = resize_weights(network, photo)[index]  # (network,): the labels' upsampling to the photo
    rows = np.flatnonzero(to_photo)
    cells = np.flatnonzero(resize_weights(grid, network)[rows].any(axis=0))  # the network's own upsampling
    half = (field.size - 1) / 2
    first = max(0, int(np.ceil(field.centre(int(cells[0])) - half)))
    last = min(network - 1, int(np.floor(field.centre(int(cells[-1])) + half)))
    read = np.flatnonzero(resize_weights(photo, network, antialias=True)[first : last + 1].any(axis=0))
    return int(read[0]), int(read[-1])


def photo_box(
    net: nn.Module, photo: tuple[int, int], network: tuple[int, int], grid: tuple[int, int], pixel: tuple[int, int]
) -> Box:
    """The theoretical receptive field of photo pixel (row, col): photo (H, W), network input (h, w), grid (h', w')."""
    field = logit_field(net)
    top, bottom = _span(pixel[0], photo[0], network[0], grid[0], field)
    left, right = _span(pixel[1], photo[1], network[1], grid[1], field)
    return Box(top, bottom, left, right)
