"""Typed handles on the parts of a torchvision DeepLabV3 (its attributes are untyped `nn.Module` children)."""

from __future__ import annotations

from typing import cast

from torch import nn


def child(module: nn.Module, name: str) -> nn.Module:
    """`module.<name>`, typed: an `nn.Module`'s children are looked up dynamically, so a type checker sees
    `Tensor | Module` without this."""
    return cast(nn.Module, getattr(module, name))


def backbone_of(net: nn.Module) -> nn.Module:
    return child(net, "backbone")


def aspp_of(net: nn.Module) -> nn.Module:
    """The ASPP module: the first layer of a DeepLabHead (`net.classifier[0]`)."""
    return cast(nn.Module, cast(nn.Sequential, child(net, "classifier"))[0])


def sequence(module: nn.Module, name: str) -> list[nn.Module]:
    """The children of `module.<name>` (an nn.Sequential or nn.ModuleList), in order."""
    return list(cast(nn.Sequential, child(module, name)))
