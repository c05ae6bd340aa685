"""Ask PyTorch itself: the shape a real `conv2d` gives, or the error it raises, beside the formula's answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from deeplab_core.maths.dilation import conv_output_size, effective_kernel_size


@dataclass(frozen=True)
class TorchConvResult:
    shape: tuple[int, ...] | None  # (N, C, H, W) when torch accepted the convolution
    error: str | None  # torch's own message when it refused

    def agrees_with(self, formula_size: int | None) -> bool:
        """Both refuse, or both give an o × o output with the formula's o."""
        if self.shape is None or formula_size is None:
            return self.shape is None and formula_size is None
        return self.shape[2:] == (formula_size, formula_size)


def torch_conv_output(
    input_size: int, kernel_size: int, *, stride: int = 1, padding: int = 0, dilation: int = 1
) -> TorchConvResult:
    """Run F.conv2d on a (1, 1, i, i) zero tensor with a (1, 1, k, k) kernel."""
    try:
        x = torch.zeros(1, 1, input_size, input_size)  # (N, C, H, W)
        w = torch.zeros(1, 1, kernel_size, kernel_size)  # (C_out, C_in, kH, kW)
        with torch.no_grad():
            y = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    except (RuntimeError, ValueError) as exc:
        return TorchConvResult(shape=None, error=str(exc).splitlines()[0])
    return TorchConvResult(shape=tuple(y.shape), error=None)


@dataclass(frozen=True)
class SamePaddingRow:
    """A k×k atrous convolution padded by its rate (k = 3) on a square map: by the formula and by conv2d."""

    map_size: int
    rate: int
    effective_kernel_size: int
    padding: int
    formula_size: int
    torch_size: int


def same_padding_rows(map_sizes: Sequence[int], rates: Sequence[int], kernel_size: int = 3) -> list[SamePaddingRow]:
    """Why ASPP pads by its rate: padding = rate·(k − 1)/2 keeps every map's size, for every rate."""
    rows = []
    for size in map_sizes:
        for rate in rates:
            padding = rate * (kernel_size - 1) // 2
            shape = torch_conv_output(size, kernel_size, padding=padding, dilation=rate).shape
            assert shape is not None  # a size-preserving convolution always fits
            rows.append(
                SamePaddingRow(
                    map_size=size,
                    rate=rate,
                    effective_kernel_size=effective_kernel_size(kernel_size, rate),
                    padding=padding,
                    formula_size=conv_output_size(size, kernel_size, padding=padding, dilation=rate),
                    torch_size=shape[2],
                )
            )
    return rows
