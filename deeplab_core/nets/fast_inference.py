"""An inference copy of a DeepLabv3 that computes the same function with less work.

1. BatchNorm folding: an eval-mode BatchNorm is an affine map per channel, so conv → BN is one convolution with
   rescaled weights and a bias, and the BN pass over the feature map disappears.
2. channels_last weights and activations, the layout oneDNN (CPU) and cuDNN tensor cores (GPU) are fastest in
   (measured in docs/BENCHMARKS.md).

3. Activations in place (ReLU, Hardswish, Hardsigmoid), so no new tensor is allocated after each convolution.
4. ASPP taps that can only read zero padding are dropped (`deeplab_core.nets.trimmed_conv`): exact, and at a rate
   at least the map's size the 3×3 branch is a 1×1 convolution.

Tried and dropped (docs/BENCHMARKS.md): skipping the padding taps position by position, with one matrix
product per tap, was no faster than oneDNN's own dilated convolution.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.resnet import Bottleneck

from deeplab_core.nets.model import DeepLab
from deeplab_core.nets.trimmed_conv import trim_aspp


def _fuse_pair(parent: nn.Module, conv_name: str, bn_name: str) -> bool:
    conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
    if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)):
        return False
    setattr(parent, conv_name, nn.utils.fusion.fuse_conv_bn_eval(conv, bn))
    setattr(parent, bn_name, nn.Identity())
    return True


def fuse_batchnorm(model: nn.Module) -> int:
    """Fold every eval-mode BatchNorm2d into the Conv2d that feeds it, in place; returns how many were folded.

    Pairs are children run one after the other: in nn.Sequential and IntermediateLayerGetter (ResNet's stem,
    MobileNet's Conv2dNormActivation, ASPP branches) and a Bottleneck's convN → bnN."""
    fused = 0
    for module in list(model.modules()):
        if isinstance(module, (nn.Sequential, IntermediateLayerGetter)):
            names = list(module._modules)
            for first, second in zip(names, names[1:], strict=False):
                fused += _fuse_pair(module, first, second)
        elif isinstance(module, Bottleneck):
            fused += sum(_fuse_pair(module, f"conv{i}", f"bn{i}") for i in (1, 2, 3))
    return fused


def activations_in_place(model: nn.Module) -> int:
    """Switch every ReLU/Hardswish/Hardsigmoid to in-place; each follows a conv whose output nothing else reads."""
    switched = 0
    for module in model.modules():
        if isinstance(module, (nn.ReLU, nn.Hardswish, nn.Hardsigmoid)) and not module.inplace:
            module.inplace = True
            switched += 1
    return switched


def inference_copy(model: DeepLab, device: str | torch.device | None = None) -> DeepLab:
    """A copy of `model` for fast inference on `device`; `model` itself is untouched (other lessons hook its
    BatchNorms). Call it after `set_output_stride`: the copy keeps the rates it was made with."""
    device = torch.device(device) if device is not None else model.device
    fast = copy.deepcopy(model.net).eval().to(device)
    fuse_batchnorm(fast)
    activations_in_place(fast)
    trim_aspp(fast.classifier[0])
    return DeepLab(fast.to(memory_format=torch.channels_last), model.spec)
