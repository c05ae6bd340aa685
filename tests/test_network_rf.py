"""The backbone's receptive field and the multi-grid check, read from real (meta-device) modules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.config import ASPP_RATES
from deeplab_core.nets.model import architecture
from deeplab_core.nets.network_rf import multi_grid_check, network_field


@pytest.mark.parametrize("output_stride", [8, 16, 32])
def test_aspp_branches_add_their_span_at_the_final_jump(output_stride):
    field = network_field(architecture("resnet50", output_stride))
    assert field.curve[-1][1] == field.final.size
    assert field.final.jump == output_stride
    # a 3×3 branch at rate r spans 2r + 1 cells of the final map, each `jump` input pixels apart
    expected = tuple(field.final.size + 2 * rate * field.final.jump for rate in ASPP_RATES[output_stride])
    assert field.with_aspp == expected


def test_the_field_grows_along_the_main_path():
    sizes = [size for _, size in network_field(architecture("resnet50", 16)).curve]
    assert sizes == sorted(sizes) and sizes[0] == 7  # conv1 is 7×7


@settings(max_examples=15, deadline=None)
@given(
    output_stride=st.sampled_from([8, 16, 32]),
    units=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
)
def test_the_wiring_follows_the_rule(output_stride, units):
    check = multi_grid_check(architecture("resnet50", output_stride, units), output_stride, units)
    assert check.agrees and check.rates("layer4") == check.rule[1]


def test_a_wrong_rate_is_caught():
    net = architecture("resnet50", 16, (1, 2, 4))
    net.backbone.layer4[2].conv2.dilation = (4, 4)  # the rule says 2 × 4 = 8
    assert not multi_grid_check(net, 16, (1, 2, 4)).agrees
