"""Where one pixel looks: its effective receptive field through a real DeepLabv3, on the photo itself.

The **effective receptive field** (Luo, Li, Urtasun & Zemel, "Understanding the Effective Receptive Field in Deep
Convolutional Neural Networks", NIPS 2016) of an output unit is the gradient of that unit with respect to the input:
how much each input pixel moves it. Here the unit is the winning class score of one photo pixel, and the input is
the photo's own pixels: the field is |∂score/∂photo| summed over the three colour channels, normalised to sum to 1.

The gradient is carried all the way to the photo, through every step that makes the score:
photo → resize to the network input (bilinear, antialiased: torch's F.interpolate, the filter the pipeline's Pillow
resize applies, without its rounding to 8 bits) → normalisation → backbone → ASPP → head → the network's bilinear
upsampling → the labels' bilinear upsampling to the photo. Nothing is mapped back afterwards: the resize's own
derivative spreads each network-input pixel's gradient over the photo pixels it was made from, so the field lives on
the photo's grid and its mass is the gradient's, exactly.

ASPP concatenates its branches, so by the chain rule the gradient is a sum over branches: each branch's slice of
the concatenation's gradient, carried back on its own. `photo_gradients(..., split=True)` does exactly that (one
backward pass per branch, batched). The field is Σ_c |G_c| = Σ_c sign(G_c) Σ_b G_b,c, so branch b carries
Σ_c sign(G_c) G_b,c of it: shares that add up to the whole field (a negative share opposes the others).
`pixel_field` gets the same shares without the per-branch backward passes: Σ_p Σ_c sign(G_c) G_b,c is the
backbone's forward derivative in the direction sign(G), read against branch b's gradient at the backbone's output
(one forward-mode pass for every branch at once; the tests check both ways agree).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.models.segmentation import DeepLabV3

from deeplab_core.budget import plan_input
from deeplab_core.errors import LabError
from deeplab_core.nets.aspp import fuse
from deeplab_core.nets.device import module_device
from deeplab_core.nets.fast_inference import fuse_batchnorm
from deeplab_core.nets.field_box import GLOBAL_POOLS, Box, aspp_rates, photo_box, resize_weights
from deeplab_core.nets.model import DeepLab, ModelSpec
from deeplab_core.nets.parts import aspp_of, backbone_of, sequence

# The work of one `pixel_field`, in forward passes of the network (for the CPU job bound): the forward pass, the
# backward pass to the photo (input gradients only: about one more), and the forward-mode pass along at most two
# directions (the primal and a tangent for each, on the backbone).
PASSES = 6


@dataclass(frozen=True)
class BranchShare:
    kind: str  # "conv1x1", "atrous" or "pooling"
    rate: int | None  # an atrous branch's rate
    share: float  # the part of the field this branch carries (all branches add up to 1)
    outside: float  # the part of it that lies outside the theoretical receptive field's box
    muted: bool


@dataclass(frozen=True, eq=False)
class PixelField:
    field: np.ndarray  # (H, W) float32, ≥ 0, sums to 1: the photo pixel's effective receptive field
    pixel: tuple[int, int]  # (row, column) in the photo
    label: int  # the winning class whose score was differentiated
    box: Box  # the theoretical (convolutional) receptive field on the photo
    inside: float  # share of the field inside the box
    outside: float  # share outside it (summed on its own: exactly 0 when no gradient reaches there)
    network_size: tuple[int, int]  # (h, w) of the network input
    grid: tuple[int, int]  # (h', w') of the class-score grid
    shares: tuple[BranchShare, ...]  # one per ASPP branch, in the module's order
    maps: tuple[np.ndarray, ...] = ()  # (H, W) per branch, signed, adding up to `field` (with branches=True)


def square_side(field: np.ndarray, pixel: tuple[int, int], mass: float = 0.5) -> int:
    """Side of the smallest square centred on `pixel` (clipped to the photo) that holds `mass` of the field: how far
    the pixel mostly looks, to compare with the theoretical box."""
    table = np.pad(field.astype(np.float64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # summed-area table
    row, col = pixel
    height, width = field.shape
    for half in range(max(height, width)):
        top, left = max(row - half, 0), max(col - half, 0)
        bottom, right = min(row + half + 1, height), min(col + half + 1, width)
        held = table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]
        if held >= mass - 1e-9:
            return 2 * half + 1
    return 2 * max(height, width) - 1


def branch_kinds(aspp: nn.Module) -> tuple[str, ...]:
    """Each ASPP branch's kind, read from its modules (global pooling, a 3×3 or a 1×1 convolution first)."""
    kinds = []
    for branch in sequence(aspp, "convs"):
        if any(isinstance(m, GLOBAL_POOLS) for m in branch.modules()):
            kinds.append("pooling")
        else:
            conv = next(m for m in branch.modules() if isinstance(m, nn.Conv2d))
            kinds.append("atrous" if conv.kernel_size[0] > 1 else "conv1x1")
    return tuple(kinds)


def pooling_branch(model: DeepLab | DeepLabV3) -> int:
    """Index of the image-pooling branch, the one to mute to switch image pooling off."""
    return branch_kinds(aspp_of(_net_and_spec(model)[0])).index("pooling")


def field_copy(model: DeepLab) -> DeepLab:
    """A copy for fast gradients: BatchNorm folded into the convolutions and channels_last (the same function, so the
    same gradient, with fewer layers to go back through); ASPP's convolutions stay as they are, so the box reads
    their rates. `model` itself is untouched."""
    net = copy.deepcopy(model.net).eval()
    fuse_batchnorm(net)
    return DeepLab(net.to(memory_format=torch.channels_last), model.spec)


def _net_and_spec(model: DeepLab | DeepLabV3) -> tuple[DeepLabV3, ModelSpec | None]:
    return (model.net, model.spec) if isinstance(model, DeepLab) else (model, None)


@dataclass(frozen=True, eq=False)
class _Trace:
    """One differentiable run from the photo's pixels to one photo pixel's winning score, graph kept."""

    photo: torch.Tensor  # (1, 3, H, W) float, requires grad
    features: torch.Tensor  # (1, C, h', w') the backbone's output
    feature_grads: tuple[torch.Tensor, ...]  # per branch: d score / d features through that branch alone
    x: torch.Tensor  # (1, 3, h, w) the normalised network input
    scale: torch.Tensor  # (1, 3, 1, 1) d x / d (resized photo): 1 / (255 · std)
    label: int
    network_size: tuple[int, int]
    grid: tuple[int, int]


def _trace(
    model: DeepLab | DeepLabV3,
    image: Image.Image,
    pixel: tuple[int, int],
    short_side: int | None,
    mute: Collection[int],
) -> _Trace:
    net, spec = _net_and_spec(model)
    mean, std = (spec.mean, spec.std) if spec else (ModelSpec.mean, ModelSpec.std)
    H, W = image.height, image.width
    side = short_side or (spec.resize_size if spec else min(H, W))  # a bare network sees the photo at its size
    row, col = pixel
    if not (0 <= row < H and 0 <= col < W):
        raise LabError("pixel_field.error_pixel", f"Pixel {pixel} is outside the photo.", row=row, col=col)
    h, w = plan_input(W, H, side).size  # the pixel budget: PhotoShapeError beyond 1:16
    device = module_device(net)
    photo = torch.from_numpy(np.array(image.convert("RGB"))).to(device).permute(2, 0, 1)[None].float()
    photo.requires_grad_(True)  # (1, 3, H, W) in 0..255
    scale = (1 / (255 * torch.tensor(std, device=device))).view(1, 3, 1, 1)
    shift = (torch.tensor(mean, device=device) / torch.tensor(std, device=device)).view(1, 3, 1, 1)
    resized = F.interpolate(photo, size=(h, w), mode="bilinear", align_corners=False, antialias=True)  # (1, 3, h, w)
    x = resized * scale - shift
    if _channels_last(net):
        x = x.contiguous(memory_format=torch.channels_last)
    features = backbone_of(net)(x)["out"]  # (1, C, h', w')
    aspp = aspp_of(net)
    branches = [branch(features) for branch in sequence(aspp, "convs")]  # each (1, 256, h', w')
    grid = fuse(aspp, branches, mute)
    for layer in sequence(net, "classifier")[1:]:  # the head's 3×3 conv, BN, ReLU and 1×1 conv to class scores
        grid = layer(grid)  # (1, classes, h', w')
    hg, wg = grid.shape[-2:]
    # one photo pixel of the labels: the network's upsampling (h', w') → (h, w), then the labels' (h, w) → (H, W)
    rows = torch.from_numpy(resize_weights(h, H)[row] @ resize_weights(hg, h)).to(grid)  # (h',)
    cols = torch.from_numpy(resize_weights(w, W)[col] @ resize_weights(wg, w)).to(grid)  # (w',)
    scores = torch.einsum("chw,h,w->c", grid[0], rows, cols)  # (classes,)
    label = int(scores.argmax())
    kept = [i for i in range(len(branches)) if i not in mute]
    to_branches = torch.autograd.grad(scores[label], [branches[i] for i in kept], retain_graph=True)
    by_branch = dict(zip(kept, to_branches, strict=True))
    feature_grads = tuple(
        torch.autograd.grad(branches[i], features, by_branch[i], retain_graph=True)[0]
        if i in by_branch
        else torch.zeros_like(features)
        for i in range(len(branches))
    )  # each (1, C, h', w')
    return _Trace(photo, features, feature_grads, x, scale, label, (h, w), (hg, wg))


def _channels_last(net: nn.Module) -> bool:
    weight = next(p for p in net.parameters() if p.dim() == 4)
    return weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()


def photo_gradients(
    model: DeepLab | DeepLabV3,
    image: Image.Image,
    pixel: tuple[int, int],
    *,
    short_side: int | None = None,
    mute: Collection[int] = (),
    split: bool = False,
) -> torch.Tensor:
    """∂(winning score of photo pixel (row, col))/∂photo: (1, 3, H, W), or with `split` (branches, 3, H, W), one
    per ASPP branch, adding up to the total (chain rule at the concatenation)."""
    trace = _trace(model, image, pixel, short_side, mute)
    return _backward(trace, split)


def _backward(trace: _Trace, split: bool) -> torch.Tensor:
    if not split:
        total = torch.stack(trace.feature_grads).sum(0)  # (1, C, h', w')
        return torch.autograd.grad(trace.features, trace.photo, total, retain_graph=True)[0]  # (1, 3, H, W)
    stacked = torch.stack(trace.feature_grads)  # (branches, 1, C, h', w'): one backward pass each, batched
    (grads,) = torch.autograd.grad(trace.features, trace.photo, stacked, retain_graph=True, is_grads_batched=True)
    return grads[:, 0]  # (branches, 3, H, W)


def _forward_derivatives(trace: _Trace, net: nn.Module, directions: torch.Tensor) -> torch.Tensor:
    """The backbone's output moved along each photo-space direction: (n, C, h', w') for directions (n, 3, H, W)."""
    resized = F.interpolate(directions, size=trace.network_size, mode="bilinear", align_corners=False, antialias=True)
    tangent = resized * trace.scale  # the normalisation's derivative (its shift is constant)
    primal = trace.x.detach().repeat(len(directions), 1, 1, 1)  # (n, 3, h, w): one copy per direction
    if _channels_last(net):
        primal = primal.contiguous(memory_format=torch.channels_last)
        tangent = tangent.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), fwAD.dual_level():
        out = backbone_of(net)(fwAD.make_dual(primal, tangent))["out"]
        return fwAD.unpack_dual(out).tangent  # (n, C, h', w')


def pixel_field(
    model: DeepLab | DeepLabV3,
    image: Image.Image,
    pixel: tuple[int, int],
    *,
    short_side: int | None = None,
    mute: Collection[int] = (),
    maps: bool = False,
) -> PixelField:
    """The effective receptive field of photo pixel (row, col), its theoretical box, and each ASPP branch's share
    (inside and outside the box); with `maps`, each branch's part of the field as a map too."""
    net = _net_and_spec(model)[0]
    trace = _trace(model, image, pixel, short_side, mute)
    gradient = _backward(trace, split=False)  # (1, 3, H, W)
    magnitude = gradient.abs().sum(1)[0].double()  # (H, W)
    mass = float(magnitude.sum())
    if not mass > 0:
        raise LabError("pixel_field.error_flat", "The score does not depend on the photo.", row=pixel[0], col=pixel[1])
    size = (image.height, image.width)
    box = photo_box(net, size, trace.network_size, trace.grid, pixel)
    inside = torch.from_numpy(box.mask(size)).to(gradient.device)  # (H, W)
    sign = gradient.sign()  # (1, 3, H, W)
    outside = ~inside
    # along sign(G) for each branch's share, and along sign(G) outside the box for its part out there (when the
    # box leaves any of the photo out: a real network's box usually covers all of it)
    directions = torch.cat([sign, sign * outside]) if bool(outside.any()) else sign  # (1 or 2, 3, H, W)
    moved = _forward_derivatives(trace, net, directions)  # (1 or 2, C, h', w')
    parts = [(moved * g).flatten(1).sum(1).double() / mass for g in trace.feature_grads]  # each (1 or 2,)
    kinds, rates = branch_kinds(aspp_of(net)), iter(aspp_rates(net))
    shares = tuple(
        BranchShare(
            kind, next(rates) if kind == "atrous" else None, float(p[0]), float(p[1]) if len(p) > 1 else 0.0, i in mute
        )
        for i, (kind, p) in enumerate(zip(kinds, parts, strict=True))
    )
    branch_maps: tuple[np.ndarray, ...] = ()
    if maps:
        split = _backward(trace, split=True)  # (branches, 3, H, W)
        branch_maps = tuple((sign[0] * g).sum(0).div(mass).float().cpu().numpy() for g in split)
    field = (magnitude / mass).float().cpu().numpy()
    return PixelField(
        field=field,
        pixel=(int(pixel[0]), int(pixel[1])),
        label=trace.label,
        box=box,
        inside=float(magnitude[inside].sum() / mass),
        outside=float(magnitude[outside].sum() / mass),
        network_size=trace.network_size,
        grid=trace.grid,
        shares=shares,
        maps=branch_maps,
    )


@overload
def effective_field(
    model: DeepLab | DeepLabV3, image: Image.Image, pixel: Sequence[int], *, branches: Literal[False] = False
) -> np.ndarray: ...
@overload
def effective_field(
    model: DeepLab | DeepLabV3, image: Image.Image, pixel: Sequence[int], *, branches: Literal[True]
) -> PixelField: ...
def effective_field(
    model: DeepLab | DeepLabV3, image: Image.Image, pixel: Sequence[int], *, branches: bool = False
) -> np.ndarray | PixelField:
    """The effective receptive field of photo pixel (row, column): an (H, W) array of the photo's size, ≥ 0,
    summing to 1. With `branches`, the whole `PixelField`: the field, its box, and per ASPP branch a signed map
    (`.maps`, adding up to the field) and its share inside and outside the box (`.shares`)."""
    result = pixel_field(model, image, (int(pixel[0]), int(pixel[1])), maps=branches)
    return result if branches else result.field
