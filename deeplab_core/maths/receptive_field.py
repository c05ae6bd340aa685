"""Receptive fields of a stack of (dilated) convolutions, and the gridding artefact.

The **receptive field** of a unit is the window of input pixels that can change it. For a stack of layers with
kernel size k_l, stride s_l, padding p_l and dilation d_l, the standard recurrence (Araujo, Norris & Sim,
"Computing receptive fields of convolutional neural networks", Distill 2019) holds with k replaced by the
effective kernel size k'_l = k_l + (k_l - 1)(d_l - 1):
    r_l = r_{l-1} + (k'_l - 1) j_{l-1}            receptive-field size, r_0 = 1
    j_l = j_{l-1} s_l                              jump (effective stride), j_0 = 1
    start_l = start_{l-1} + ((k'_l - 1)/2 - p_l) j_{l-1}   centre of the first unit, start_0 = 0
A dilated stack can reach a pixel through no path at all although it lies inside that window: the holes of
**gridding** (Wang et al., "Understanding convolution for semantic segmentation", WACV 2018), which proposes
**hybrid dilated convolution** (HDC) rates to avoid them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deeplab_core.errors import LabError
from deeplab_core.maths.dilation import ConvArithmeticError, conv_output_size, effective_kernel_size


@dataclass(frozen=True)
class ConvLayer:
    kernel_size: int
    stride: int = 1
    dilation: int = 1
    padding: int = 0

    @property
    def effective_kernel_size(self) -> int:
        return effective_kernel_size(self.kernel_size, self.dilation)


def same_conv(kernel_size: int, dilation: int = 1, stride: int = 1) -> ConvLayer:
    """A layer padded by d(k - 1)/2, as DeepLab pads its atrous convolutions."""
    return ConvLayer(kernel_size, stride, dilation, dilation * (kernel_size - 1) // 2)


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of the units after one layer, in input pixels."""

    layer: ConvLayer
    size: int  # r: input pixels a unit's window spans
    jump: int  # j: input pixels between neighbouring units
    start: float  # input coordinate of the centre of the first unit's window

    def centre(self, index: int) -> float:
        return self.start + index * self.jump

    def window(self, index: int) -> tuple[float, float]:
        """First and last input coordinate of unit `index`'s window (outside [0, i - 1] is padding)."""
        half = (self.size - 1) / 2
        return self.centre(index) - half, self.centre(index) + half


def receptive_field(layers: Sequence[ConvLayer]) -> list[ReceptiveField]:
    """One record per layer, by the recurrence above."""
    size, jump, start = 1, 1, 0.0
    records = []
    for layer in layers:
        k_eff = layer.effective_kernel_size
        start += ((k_eff - 1) / 2 - layer.padding) * jump
        size += (k_eff - 1) * jump
        jump *= layer.stride
        records.append(ReceptiveField(layer, size, jump, start))
    return records


def coverage(layers: Sequence[ConvLayer]) -> np.ndarray:
    """Paths from each input pixel of the receptive field to one output unit (1-D; 2-D is the outer product).

    Away from the borders every unit sees the same pattern, so padding plays no part. Walk the stack backwards:
    each unit of layer l spreads its paths over its k taps, d_l units apart, in layer l - 1. A zero inside the
    span is a hole: the gridding artefact.
    """
    paths = np.ones(1, dtype=np.int64)
    for layer in reversed(layers):
        k, s, d = layer.kernel_size, layer.stride, layer.dilation
        below = np.zeros((len(paths) - 1) * s + layer.effective_kernel_size, dtype=np.int64)
        for tap in range(k):
            below[tap * d : tap * d + (len(paths) - 1) * s + 1 : s] += paths
        paths = below
    return paths


def prefix_coverages(layers: Sequence[ConvLayer]) -> list[np.ndarray]:
    """coverage(layers[:l]) for l = 1..L: the receptive field as it grows, layer by layer."""
    return [coverage(layers[:depth]) for depth in range(1, len(layers) + 1)]


def holes(layers: Sequence[ConvLayer]) -> np.ndarray:
    """Offsets from the centre of the span (in pixels, 1-D) that no path reaches."""
    paths = coverage(layers)
    return np.flatnonzero(paths == 0) - (len(paths) - 1) / 2


def output_sizes(layers: Sequence[ConvLayer], input_size: int) -> list[int]:
    """Feature-map size after each layer; ConvArithmeticError (with .layer set) at the first that cannot fit."""
    sizes, size = [], input_size
    for index, layer in enumerate(layers, start=1):
        try:
            size = conv_output_size(
                size, layer.kernel_size, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
            )
        except ConvArithmeticError as exc:
            raise exc.in_layer(index) from exc
        sizes.append(size)
    return sizes


def check_stack(layers: Sequence[ConvLayer], sides: Sequence[int], *, max_layers: int, max_size: int) -> None:
    """Raise a LabError saying what to change when the stack cannot run on inputs of these sides, has too many
    or no layers, or has a receptive field wider than `max_size` pixels."""
    if not layers or len(layers) > max_layers:
        raise LabError(
            "errors.stack.layers", f"A stack needs 1 to {max_layers} layers.", count=len(layers), most=max_layers
        )
    for side in sides:
        output_sizes(layers, side)
    size = receptive_field(layers)[-1].size
    if size > max_size:
        raise LabError(
            "errors.stack.rf_too_large",
            f"The receptive field spans {size} > {max_size} pixels.",
            size=size,
            most=max_size,
        )


def window_on_input(record: ReceptiveField, index: int, input_size: int) -> float:
    """Fraction of unit `index`'s window (1-D) that lies on the input rather than on padding."""
    first, last = record.window(index)
    inside = min(last, input_size - 1) - max(first, 0) + 1
    return max(inside, 0) / record.size


def rf_growth(layers: Sequence[ConvLayer]) -> list[int]:
    """Receptive-field size after each layer, with 1 (the pixel itself) at depth 0."""
    return [1] + [record.size for record in receptive_field(layers)]
