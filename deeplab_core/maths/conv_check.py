"""Ask PyTorch itself: the shape a real `conv2d` gives, or the error it raises."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class TorchConvResult:
    shape: tuple[int, ...] | None  # (N, C, H, W) when torch accepted the convolution
    error: str | None  # torch's own message when it refused


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
