"""Dropping the taps that only read padding changes nothing: the trimmed convolution equals conv2d."""

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from deeplab_core.nets.trimmed_conv import TrimmedAtrousConv, kept_half_width


@settings(max_examples=60, deadline=None)
@given(size_h=st.integers(1, 24), size_w=st.integers(1, 24), rate=st.integers(1, 30), k=st.sampled_from([1, 3, 5]))
def test_trimmed_equals_the_full_convolution(size_h, size_w, rate, k):
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 5, k, padding=rate * (k - 1) // 2, dilation=rate, bias=True).double()
    x = torch.randn(2, 4, size_h, size_w, dtype=torch.float64)  # (B, C, H, W)
    with torch.no_grad():
        torch.testing.assert_close(TrimmedAtrousConv(conv)(x), conv(x), rtol=0, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(size=st.integers(1, 80), rate=st.integers(1, 90))
def test_kept_taps_are_the_ones_that_ever_land_on_the_map(size, rate):
    """A tap is kept exactly when some output position reads the map through it (a one-hot conv2d says)."""
    m = kept_half_width(3, rate, size)
    ones = torch.ones(1, 1, 1, size)  # (N, C, 1, W)
    for tap in range(3):
        kernel = torch.zeros(1, 1, 1, 3)
        kernel[..., tap] = 1
        reads_map = bool(F.conv2d(ones, kernel, padding=(0, rate), dilation=(1, rate)).any())
        assert reads_map == (abs(tap - 1) <= m)


def test_rate_at_least_the_map_is_a_one_by_one_filter():
    assert kept_half_width(3, 36, 33) == 0 and kept_half_width(3, 24, 33) == 1 and kept_half_width(3, 33, 33) == 0
