"""DeepLabv3 models from torchvision, typed: the network and what it is, side by side.

`load_model` returns a `DeepLab`: torchvision's `DeepLabV3` (`.net`) and a `ModelSpec` (`.spec`: name, weights,
class names, preprocessing), so every reader of the spec is type-checked instead of reading an attribute bolted
onto an `nn.Module`. `architecture` builds the same network on PyTorch's meta device: every module and shape, no
numbers, so shapes and operation counts at 513×513 are instant on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.models.segmentation import (
    DeepLabV3,
    deeplabv3_mobilenet_v3_large,
    deeplabv3_resnet50,
    deeplabv3_resnet101,
)

from deeplab_core.config import MODEL_NAMES, NO_MULTI_GRID, RESNETS
from deeplab_core.nets.checkpoints import Progress, pretrained_state_dict, weights_enum
from deeplab_core.nets.device import module_device, resolve_device
from deeplab_core.nets.wiring import set_output_stride

_BUILDERS = {
    "mobilenet_v3_large": deeplabv3_mobilenet_v3_large,
    "resnet50": deeplabv3_resnet50,
    "resnet101": deeplabv3_resnet101,
}


@dataclass(frozen=True)
class ModelSpec:
    """What a loaded model is: its name, its weights and the preprocessing its weights expect."""

    name: str
    weights: str  # "pretrained", "random" or the path of a state dict
    categories: tuple[str, ...]  # the 21 VOC classes, from torchvision's weight metadata
    resize_size: int  # torchvision's preprocessing resizes the short side to this
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    @property
    def trained(self) -> bool:
        return self.weights != "random"


@dataclass(frozen=True, eq=False)
class DeepLab:
    """A torchvision DeepLabV3 in eval mode, and the spec that says what it is."""

    net: DeepLabV3
    spec: ModelSpec

    @property
    def device(self) -> torch.device:
        return module_device(self.net)


def _build(name: str) -> DeepLabV3:
    if name not in MODEL_NAMES:
        raise ValueError(f"Unknown model {name!r}; choose one of {MODEL_NAMES}.")
    classes = len(weights_enum(name).meta["categories"])
    return _BUILDERS[name](weights=None, weights_backbone=None, num_classes=classes, aux_loss=True)


def load_model(
    name: str,
    *,
    weights: str | Path = "pretrained",
    device: str | torch.device | None = None,
    progress: Progress | None = None,
) -> DeepLab:
    """A DeepLabv3 in eval mode on `device`, without the auxiliary head.

    weights: "pretrained" (torch hub cache, downloaded when missing), "random" (untrained: shapes and timing
    only), or the path of a state dict saved from the same architecture.
    """
    net = _build(name)
    if weights == "pretrained":
        state = pretrained_state_dict(name, progress)
    elif weights == "random":
        state = None
    else:
        state = torch.load(Path(weights), map_location="cpu", weights_only=True)
    if state is not None:
        if not any(key.startswith("aux_classifier.") for key in state):
            net.aux_classifier = None
        net.load_state_dict(state)
    net.aux_classifier = None  # training-only head: half a ResNet stage of work we never look at
    enum = weights_enum(name)
    preset = enum.transforms()
    spec = ModelSpec(
        name=name,
        weights=str(weights),
        categories=tuple(enum.meta["categories"]),
        resize_size=int(preset.resize_size[0]),
        mean=tuple(preset.mean),
        std=tuple(preset.std),
    )
    return DeepLab(net.eval().to(resolve_device(device)), spec)


def architecture(name: str, output_stride: int = 8, multi_grid: Sequence[int] = NO_MULTI_GRID) -> DeepLabV3:
    """The network `load_model(name)` builds, on the meta device, re-wired to `output_stride` for a ResNet."""
    with torch.device("meta"):
        net = _build(name)
    net.aux_classifier = None
    if name in RESNETS:
        set_output_stride(net, output_stride, multi_grid)
    return net.eval()
