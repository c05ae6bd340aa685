"""Convolution arithmetic with dilation (atrous convolution).

An atrous (dilated) convolution with rate d inserts d - 1 holes between the taps of a k-tap filter
(Chen et al., "DeepLab", TPAMI 2017; Yu & Koltun, ICLR 2016), so the filter spans an
**effective kernel size** k' = k + (k - 1)(d - 1) while keeping k parameters. The output size of a
convolution on an input of size i with padding p and stride s is then
    o = floor((i + 2p - k') / s) + 1          (Dumoulin & Visin, "A guide to convolution arithmetic", 2016)
"""

from __future__ import annotations

from dataclasses import dataclass

from deeplab_core.errors import LabError


class ConvArithmeticError(LabError, ValueError):
    """An impossible convolution: `reason` names the rule broken ("errors.conv.<reason>"), `values` fill the message.
    In a stack, `layer` (counted from 1) says which layer broke it, and the key becomes "errors.layer.<reason>"."""

    def __init__(self, reason: str, message: str, *, layer: int | None = None, **values: int) -> None:
        group = "conv" if layer is None else "layer"
        super().__init__(f"errors.{group}.{reason}", message, **values, **({} if layer is None else {"layer": layer}))
        self.layer = layer

    def in_layer(self, layer: int) -> ConvArithmeticError:
        """The same error, said of layer `layer` of a stack."""
        values = {k: int(v) for k, v in self.values.items() if k != "layer"}  # type: ignore[call-overload]
        return ConvArithmeticError(self.reason, f"Layer {layer}: {self}", layer=layer, **values)


def effective_kernel_size(kernel_size: int, dilation: int) -> int:
    """k' = k + (k - 1)(d - 1): the span of a dilated kernel, holes included."""
    if kernel_size < 1:
        raise ConvArithmeticError(
            "kernel", f"Kernel size must be at least 1, got {kernel_size}.", kernel_size=kernel_size
        )
    if dilation < 1:
        raise ConvArithmeticError("dilation", f"Dilation must be at least 1, got {dilation}.", dilation=dilation)
    return kernel_size + (kernel_size - 1) * (dilation - 1)


def conv_output_size(input_size: int, kernel_size: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """o = floor((i + 2p - k') / s) + 1, or ConvArithmeticError (a ValueError) saying what to change."""
    if input_size < 1:
        raise ConvArithmeticError("input", f"Input size must be at least 1, got {input_size}.", input_size=input_size)
    if stride < 1:
        raise ConvArithmeticError("stride", f"Stride must be at least 1, got {stride}.", stride=stride)
    if padding < 0:
        raise ConvArithmeticError("padding", f"Padding cannot be negative, got {padding}.", padding=padding)
    k_eff = effective_kernel_size(kernel_size, dilation)
    padded = input_size + 2 * padding
    if k_eff > padded:
        raise ConvArithmeticError(
            "too_large",
            f"The dilated kernel spans {k_eff} pixels but the padded input has only {padded}: "
            f"lower the dilation or kernel size, or add at least {(k_eff - input_size + 1) // 2} padding.",
            effective=k_eff,
            padded=padded,
            needed=(k_eff - input_size + 1) // 2,
        )
    return (padded - k_eff) // stride + 1


def same_padding(kernel_size: int, dilation: int) -> int | None:
    """The padding p with o = i at stride 1: p = d(k - 1)/2, or None when k' is even (no symmetric p)."""
    span = effective_kernel_size(kernel_size, dilation) - 1
    return span // 2 if span % 2 == 0 else None


@dataclass(frozen=True)
class ConvGeometry:
    """Where every tap of every output position lands on the padded input (1-D; 2-D is the product)."""

    input_size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int

    @property
    def effective_kernel_size(self) -> int:
        return effective_kernel_size(self.kernel_size, self.dilation)

    @property
    def output_size(self) -> int:
        return conv_output_size(
            self.input_size, self.kernel_size, stride=self.stride, padding=self.padding, dilation=self.dilation
        )

    def window_start(self, out_index: int) -> int:
        """Padded-input index of the first tap of output `out_index`."""
        return out_index * self.stride

    def taps(self, out_index: int) -> list[int]:
        """Padded-input indices of the k taps of output `out_index`; holes lie between them."""
        start = self.window_start(out_index)
        return [start + j * self.dilation for j in range(self.kernel_size)]

    def is_padding(self, padded_index: int) -> bool:
        return padded_index < self.padding or padded_index >= self.padding + self.input_size
