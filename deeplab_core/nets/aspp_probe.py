"""ASPP inside a real DeepLabv3: each branch's activation on a photo, its share of the projection, and ablation.

A forward pass with hooks on the five branches of `model.classifier[0]` (torchvision's ASPP: 1×1, three 3×3
atrous, image pooling) keeps their outputs. Because everything after the concatenation only needs those outputs,
muting a branch (zeros instead of its output, see deeplab_core.nets.aspp.fuse) re-runs just the projection and the
rest of the head, and muting none reproduces the network's own output exactly.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.models.segmentation import DeepLabV3

from deeplab_core.budget import fit_photo
from deeplab_core.nets.aspp import ASPP as BatchNormASPP
from deeplab_core.nets.aspp import BRANCH_KINDS, SeedASPP, atrous_rates, fuse
from deeplab_core.nets.model import ModelSpec
from deeplab_core.nets.parts import child, sequence
from deeplab_core.nets.segmentation import preprocess


@dataclass(frozen=True, eq=False)
class AsppProbe:
    """One photo through the network, with the ASPP branch outputs kept."""

    branches: tuple[torch.Tensor, ...]  # 5 × (1, 256, h, w) on the model's device, torchvision's branch order
    features_shape: tuple[int, int, int]  # (C, h, w) of the backbone map the ASPP reads
    input_size: tuple[int, int]  # (H, W) the network saw
    labels: np.ndarray  # (H, W) int64: the network's own label map
    rates: tuple[int, ...]  # the three atrous rates, read from the convolutions


def probe(model: DeepLabV3, x: torch.Tensor) -> AsppProbe:
    """Run `model` on a preprocessed (1, 3, H, W) input; hooks keep each ASPP branch's output."""
    aspp = model.classifier[0]
    outputs: dict[int, torch.Tensor] = {}
    features: list[tuple[int, ...]] = []
    hooks = [
        branch.register_forward_hook(lambda _m, _i, out, i=i: outputs.__setitem__(i, out))
        for i, branch in enumerate(aspp.convs)
    ]
    hooks.append(model.backbone.register_forward_hook(lambda _m, _i, out: features.append(tuple(out["out"].shape))))
    try:
        with torch.no_grad():
            logits = model(x)["out"]  # (1, C, H, W), already upsampled to the input size
    finally:
        for hook in hooks:
            hook.remove()
    return AsppProbe(
        branches=tuple(outputs[i] for i in range(len(aspp.convs))),
        features_shape=(features[0][1], features[0][2], features[0][3]),
        input_size=(int(x.shape[-2]), int(x.shape[-1])),
        labels=logits[0].argmax(0).cpu().numpy(),
        rates=atrous_rates(aspp),
    )


def head_logits(
    model: DeepLabV3, branches: Sequence[torch.Tensor], size: tuple[int, int], mute: Collection[int] = ()
) -> torch.Tensor:
    """(1, C, H, W) logits from kept branch outputs: projection, the head's last layers, bilinear upsampling."""
    with torch.no_grad():
        x = fuse(model.classifier[0], branches, mute)  # (1, 256, h, w)
        for layer in list(model.classifier)[1:]:  # 3×3 conv, BN, ReLU, 1×1 conv to class scores
            x = layer(x)  # (1, 256, h, w) … (1, C, h, w)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)  # (1, C, H, W)


@dataclass(frozen=True, eq=False)
class Ablation:
    mute: tuple[int, ...]
    labels: np.ndarray  # (H, W) with those branches muted
    changed: np.ndarray  # (H, W) bool: pixels whose label differs from the network's own

    @property
    def changed_pixels(self) -> int:
        return int(self.changed.sum())

    @property
    def changed_fraction(self) -> float:
        return self.changed_pixels / self.changed.size


def ablate(model: DeepLabV3, seen: AsppProbe, mute: Collection[int]) -> Ablation:
    labels = head_logits(model, seen.branches, seen.input_size, mute)[0].argmax(0).cpu().numpy()  # (H, W)
    return Ablation(tuple(sorted(mute)), labels, labels != seen.labels)


@dataclass(frozen=True, eq=False)
class BranchView:
    kind: str  # "conv1x1", "atrous" or "pooling"
    rate: int | None  # the atrous rate of a 3×3 branch
    mean: np.ndarray  # (h, w): mean over channels of the branch output (after its BN and ReLU)
    strongest: tuple[int, ...]  # channels with the largest mean activation, strongest first
    channel_maps: np.ndarray  # (k, h, w) those channels


def branch_views(seen: AsppProbe, k: int = 3) -> list[BranchView]:
    rates = iter(seen.rates)
    views = []
    for kind, out in zip(BRANCH_KINDS, seen.branches, strict=True):
        maps = out[0].float().cpu()  # (256, h, w)
        strongest = maps.mean(dim=(1, 2)).topk(k).indices  # (k,)
        views.append(
            BranchView(
                kind,
                next(rates) if kind == "atrous" else None,
                maps.mean(0).numpy(),
                tuple(int(c) for c in strongest),
                maps[strongest].numpy(),
            )
        )
    return views


def projection_shares(aspp: nn.Module, branches: Sequence[torch.Tensor]) -> list[float]:
    """Each branch's share of the projection's input: ||W_b x_b|| / Σ_b ||W_b x_b||, with W_b the columns of the
    1×1 projection that read branch b (the projection is linear before its BN, so these parts add up)."""
    weight = cast(nn.Conv2d, sequence(aspp, "project")[0]).weight  # (256, 5·256, 1, 1)
    width = branches[0].shape[1]
    with torch.no_grad():
        norms = [
            F.conv2d(b, weight[:, i * width : (i + 1) * width]).norm().item()  # (1, 256, h, w) → scalar
            for i, b in enumerate(branches)
        ]
    total = sum(norms)
    return [n / total if total else 0.0 for n in norms]


@dataclass(frozen=True)
class ModuleRun:
    name: str
    parameters: int
    batch_norms: int
    concatenated: tuple[tuple[str, tuple[int, ...]], ...]  # (branch, shape) as each enters the concatenation
    output_shape: tuple[int, ...]


SEED_ORDER = ("pooling", "conv1x1", "atrous", "atrous", "atrous")  # torch.cat order in the seed's forward


def run_both(
    in_channels: int, size: int, depth: int = 256, rates: tuple[int, ...] = (6, 12, 18), seed: int = 0
) -> tuple[ModuleRun, ModuleRun]:
    """The seed note's ASPP and DeepLabv3's (BN) ASPP on the same random (1, in_channels, size, size) map.

    A pre-hook on each module's output 1×1 convolution sees the concatenation and splits it back into branches."""
    torch.manual_seed(seed)
    x = torch.randn(1, in_channels, size, size)  # (1, C, H, W)
    seed_aspp = SeedASPP(in_channels, depth).eval()
    bn_aspp = BatchNormASPP(in_channels, rates, depth).eval()
    runs = []
    for name, module, projection, order in (
        ("seed", seed_aspp, seed_aspp.conv_1x1_output, SEED_ORDER),
        ("deeplabv3", bn_aspp, bn_aspp.project[0], BRANCH_KINDS),
    ):
        seen: list[torch.Tensor] = []
        hook = projection.register_forward_pre_hook(lambda _m, inputs, seen=seen: seen.append(inputs[0]))
        try:
            with torch.no_grad():
                out = module(x)  # (1, depth, H, W)
        finally:
            hook.remove()
        parts = seen[0].split(depth, dim=1)  # 5 × (1, depth, H, W)
        runs.append(
            ModuleRun(
                name,
                sum(p.numel() for p in module.parameters()),
                sum(isinstance(m, nn.BatchNorm2d) for m in module.modules()),
                tuple((kind, tuple(p.shape)) for kind, p in zip(order, parts, strict=True)),
                tuple(out.shape),
            )
        )
    return runs[0], runs[1]


@dataclass(frozen=True)
class BranchInfo:
    kind: str  # "conv1x1", "atrous", "pooling", or "projection" for the 1×1 after the concatenation
    in_channels: int
    out_channels: int
    kernel_size: int
    rate: int
    batch_norm: bool


def describe_aspp(aspp: nn.Module) -> tuple[list[BranchInfo], BranchInfo]:
    """The branches and the projection of torchvision's ASPP (or deeplab_core.nets.aspp.ASPP), read from the modules."""

    def info(kind: str, seq: nn.Sequential) -> BranchInfo:
        conv = next(m for m in seq if isinstance(m, nn.Conv2d))
        return BranchInfo(
            kind,
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size[0],
            conv.dilation[0],
            any(isinstance(m, nn.BatchNorm2d) for m in seq),
        )

    return (
        [
            info(kind, cast(nn.Sequential, branch))
            for kind, branch in zip(BRANCH_KINDS, sequence(aspp, "convs"), strict=True)
        ],
        info("projection", cast(nn.Sequential, child(aspp, "project"))),
    )


def network_input(
    image: Image.Image, spec: ModelSpec, short_side: int, device: torch.device
) -> tuple[torch.Tensor, np.ndarray]:
    """The preprocessed (1, 3, h, w) input (segmentation.preprocess) and the photo as the network sees it (h, w, 3),
    within the pixel budget (deeplab_core.budget: a long photo gets a smaller short side, 1:16 is refused)."""
    seen, plan = fit_photo(image, short_side)
    return preprocess(image, spec, plan.short_side, device), np.asarray(seen)
