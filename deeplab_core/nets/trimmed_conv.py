"""Atrous convolutions that skip the taps which can only ever read zero padding.

A size-preserving k×k convolution at rate d on an H×W map (padding d(k−1)/2) places tap j at offset
(j − c)·d from the centre c. When |(j − c)·d| ≥ H, that row of taps reads padding at every position: the
"large rates degenerate" lesson (DeepLabv3 §3.3). Dropping those taps computes exactly the same output with
fewer multiply-accumulates; at rate ≥ the map's size a 3×3 filter becomes the 1×1 filter of its centre weight.
MobileNetV3's DeepLabv3 runs ASPP at rates 12, 24, 36 on a 33×33 map at a 520 input: the rate-36 branch is 1×1.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from deeplab_core.nets.aspp import atrous_branches


def kept_half_width(kernel_size: int, dilation: int, size: int) -> int:
    """How many taps on each side of the centre can land inside a map of this size."""
    return min((kernel_size - 1) // 2, (size - 1) // dilation)


class TrimmedAtrousConv(nn.Module):
    """Drop-in for a size-preserving, stride-1, odd-kernel atrous nn.Conv2d; exact at every input size."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        kh, kw = conv.kernel_size
        if (
            conv.stride != (1, 1)
            or kh % 2 == 0
            or kw % 2 == 0
            or conv.groups != 1
            or conv.padding != (conv.dilation[0] * (kh - 1) // 2, conv.dilation[1] * (kw - 1) // 2)
        ):
            raise ValueError("TrimmedAtrousConv needs a stride-1, odd-kernel, size-preserving convolution.")
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, C_out, H, W)
        (kh, kw), (dh, dw) = self.conv.kernel_size, self.conv.dilation
        mh = kept_half_width(kh, dh, x.shape[-2])
        mw = kept_half_width(kw, dw, x.shape[-1])
        ch, cw = (kh - 1) // 2, (kw - 1) // 2
        if (mh, mw) == (ch, cw):
            return self.conv(x)
        weight = self.conv.weight[:, :, ch - mh : ch + mh + 1, cw - mw : cw + mw + 1]
        return F.conv2d(x, weight, self.conv.bias, padding=(mh * dh, mw * dw), dilation=(dh, dw))


def trim_aspp(aspp: nn.Module) -> int:
    """Wrap the 3×3 atrous convolutions of an ASPP, in place; returns how many were wrapped."""
    branches = [branch for branch in atrous_branches(aspp) if branch[0].dilation != (1, 1)]
    for branch in branches:
        branch[0] = TrimmedAtrousConv(cast(nn.Conv2d, branch[0]))
    return len(branches)
