"""The effective receptive field, measured by autograd through a real convolution stack.

Luo, Li, Urtasun & Zemel, "Understanding the effective receptive field in deep convolutional neural networks"
(NeurIPS 2016): the gradient |d y_centre / d x| of an output unit with respect to the input is not uniform over
the theoretical receptive field. It is close to a Gaussian, and it fills only a fraction of the theoretical
square, a fraction that shrinks as the stack gets deeper (its width grows like sqrt(depth), the square's like
depth).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from deeplab_core.maths.receptive_field import ConvLayer, receptive_field

Weights = Literal["uniform", "random"]
MAX_ERF_SIZE = 401  # input pixels per side; larger stacks are not measured (memory and time)


def effective_receptive_field(
    layers: Sequence[ConvLayer], *, weights: Weights = "uniform", samples: int = 16, seed: int = 0
) -> np.ndarray:
    """(R, R) mean |d y / d x| of one output unit over its theoretical receptive field, summing to 1.

    The input is exactly one receptive field wide and unpadded, so the stack has exactly one output unit and
    no border effect. With random weights, `samples` independent networks run at once as the groups of one
    grouped convolution, and their absolute gradients are averaged, as Luo et al. average over runs.
    """
    size = receptive_field(layers)[-1].size
    if size > MAX_ERF_SIZE:
        raise ValueError(f"The receptive field spans {size} pixels; the limit for measuring it is {MAX_ERF_SIZE}.")
    n = samples if weights == "random" else 1
    generator = torch.Generator().manual_seed(seed)
    x = torch.zeros(1, n, size, size, dtype=torch.float64, requires_grad=True)  # (1, n, R, R)
    y = x
    for layer in layers:
        k = layer.kernel_size
        if weights == "uniform":
            w = torch.full((n, 1, k, k), 1.0 / k**2, dtype=torch.float64)  # (n, 1, k, k)
        else:
            w = torch.randn(n, 1, k, k, generator=generator, dtype=torch.float64) / k
        y = F.conv2d(y, w, stride=layer.stride, dilation=layer.dilation, groups=n)
    # y: (1, n, 1, 1), one output unit per network
    (grad,) = torch.autograd.grad(y.sum(), x)
    erf = grad[0].abs().mean(0).numpy()  # (R, R)
    return erf / erf.sum()


@dataclass(frozen=True)
class ERFStats:
    sigma: float  # standard deviation of the gradient mass along one axis, in pixels
    side_95: int  # side of the smallest centred square holding 95 % of the gradient mass
    theoretical: int  # side of the theoretical receptive field

    @property
    def fraction_95(self) -> float:
        return self.side_95 / self.theoretical


def erf_stats(erf: np.ndarray, mass: float = 0.95) -> ERFStats:
    """Measured spread of a normalised (R, R) effective receptive field."""
    size = erf.shape[0]
    coords = np.arange(size) - (size - 1) / 2
    rows, cols = erf.sum(1), erf.sum(0)  # marginals, (R,)
    var = [float((m * (coords - (m * coords).sum()) ** 2).sum()) for m in (rows, cols)]
    sigma = float(np.sqrt(np.mean(var)))
    side = size
    for half in range(size // 2 + 1):
        lo, hi = size // 2 - half, (size - 1) // 2 + half + 1
        if erf[lo:hi, lo:hi].sum() >= mass - 1e-12:
            side = hi - lo
            break
    return ERFStats(sigma=sigma, side_95=side, theoretical=size)
