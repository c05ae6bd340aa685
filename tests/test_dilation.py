"""The dilation formula against what torch.nn.functional.conv2d really does."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.maths.conv_check import torch_conv_output
from deeplab_core.maths.dilation import (
    ConvArithmeticError,
    ConvGeometry,
    conv_output_size,
    effective_kernel_size,
    same_padding,
)


def torch_size(i: int, k: int, s: int, p: int, d: int) -> int | None:
    """The spatial size conv2d gives, or None when torch refuses the combination."""
    try:
        y = F.conv2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    except (RuntimeError, ValueError):
        return None
    return y.shape[-1]


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 12), d=st.integers(1, 12))
def test_output_size_matches_conv2d(i, k, s, p, d):
    expected = torch_size(i, k, s, p, d)
    if expected is None:
        with pytest.raises(ConvArithmeticError):
            conv_output_size(i, k, stride=s, padding=p, dilation=d)
    else:
        assert conv_output_size(i, k, stride=s, padding=p, dilation=d) == expected


@settings(max_examples=100, deadline=None)
@given(i=st.integers(-3, 12), k=st.integers(-2, 5), s=st.integers(-2, 3), p=st.integers(-3, 4), d=st.integers(-2, 4))
def test_invalid_arguments_rejected_by_both(i, k, s, p, d):
    """Zero or negative sizes, strides, dilations and padding: torch and the formula refuse together."""
    theirs = torch_size(i, k, s, p, d) if min(i, k) >= 0 else None
    try:
        ours = conv_output_size(i, k, stride=s, padding=p, dilation=d)
    except ConvArithmeticError as exc:
        assert str(exc) and exc.reason
        ours = None
    if ours is not None:
        assert ours == theirs


@settings(max_examples=200, deadline=None)
@given(k=st.integers(1, 9), d=st.integers(1, 20))
def test_effective_kernel_size_is_the_span_of_the_taps(k, d):
    """k' is the distance from the first tap to the last, plus one: a ones-kernel's footprint in conv2d."""
    span = effective_kernel_size(k, d)
    # A single bright pixel convolved (transposed) with the dilated kernel lights up exactly its taps.
    img = F.conv_transpose2d(torch.ones(1, 1, 1, 1), torch.ones(1, 1, k, k), dilation=d)
    assert img.shape[-1] == span
    assert int(img[0, 0, 0].count_nonzero()) == k


@settings(max_examples=200, deadline=None)
@given(i=st.integers(1, 40), k=st.integers(1, 7), d=st.integers(1, 10))
def test_same_padding_keeps_the_size(i, k, d):
    p = same_padding(k, d)
    if p is None:
        assert (effective_kernel_size(k, d) - 1) % 2 == 1
    else:
        assert torch_size(i, k, 1, p, d) == i


@pytest.mark.parametrize("rate", [6, 12, 18, 24, 36])
@pytest.mark.parametrize("size", [33, 65, 129])
def test_aspp_padding_equals_dilation(size, rate):
    assert conv_output_size(size, 3, padding=rate, dilation=rate) == size == torch_size(size, 3, 1, rate, rate)


def test_error_messages_say_what_to_change():
    with pytest.raises(ConvArithmeticError) as info:
        conv_output_size(5, 3, dilation=8)
    assert info.value.reason == "too_large"
    assert info.value.values == {"effective": 17, "padded": 5, "needed": 6}
    assert conv_output_size(5, 3, dilation=8, padding=6) == 1  # the suggested padding is enough
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="Stride"):
        conv_output_size(5, 3, stride=0)


@settings(max_examples=100, deadline=None)
@given(i=st.integers(1, 20), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 4), d=st.integers(1, 4))
def test_geometry_taps_are_what_conv2d_reads(i, k, s, p, d):
    """The taps ConvGeometry draws for each output are exactly the inputs conv2d's gradient touches."""
    g = ConvGeometry(input_size=i, kernel_size=k, stride=s, padding=p, dilation=d)
    try:
        o = g.output_size
    except ConvArithmeticError:
        return
    x = torch.zeros(1, 1, 1, i + 2 * p, requires_grad=True)  # already padded, so indices match
    y = F.conv2d(x, torch.ones(1, 1, 1, k), stride=(1, s), dilation=(1, d))
    assert y.shape[-1] == o
    for out in range(o):
        (grad,) = torch.autograd.grad(y[0, 0, 0, out], x, retain_graph=True)
        assert grad[0, 0, 0].nonzero().flatten().tolist() == g.taps(out)


def test_torch_check_reports_refusal():
    assert torch_conv_output(7, 3, dilation=2).shape == (1, 1, 3, 3)
    refused = torch_conv_output(5, 3, dilation=8)
    assert refused.shape is None and refused.error
