"""The formula-against-PyTorch verdict, and the ASPP padding table, each checked against conv2d."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.maths.conv_check import TorchConvResult, same_padding_rows, torch_conv_output
from deeplab_core.maths.dilation import conv_output_size


@settings(max_examples=80, deadline=None)
@given(i=st.integers(1, 20), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 4), d=st.integers(1, 5))
def test_the_formula_and_torch_agree_everywhere(i, k, s, p, d):
    try:
        o = conv_output_size(i, k, stride=s, padding=p, dilation=d)
    except ValueError:
        o = None
    assert torch_conv_output(i, k, stride=s, padding=p, dilation=d).agrees_with(o)


@pytest.mark.parametrize(
    "result, o, agree",
    [
        (TorchConvResult((1, 1, 3, 3), None), 3, True),
        (TorchConvResult((1, 1, 3, 3), None), 4, False),
        (TorchConvResult((1, 1, 3, 3), None), None, False),
        (TorchConvResult(None, "too small"), 3, False),
        (TorchConvResult(None, "too small"), None, True),
    ],
)
def test_the_verdict_can_say_no(result, o, agree):
    assert result.agrees_with(o) == agree


def test_padding_by_the_rate_keeps_every_map_size():
    rows = same_padding_rows((33, 65), (6, 12, 18))
    assert len(rows) == 6
    for row in rows:
        assert row.padding == row.rate and row.effective_kernel_size == 2 * row.rate + 1
        assert row.formula_size == row.torch_size == row.map_size
