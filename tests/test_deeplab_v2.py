"""DeepLab v2's ASPP-L and ASPP-S: four fc6–fc8 branches on pool5, their class scores summed."""

import pytest
import torch

from deeplab_core.nets.deeplab_v2 import ASPP_RATES, ASPPv2, build_v2, describe_aspp_v2, score_shape
from deeplab_core.nets.v1_inspect import stage_sizes


@pytest.mark.parametrize("name", list(ASPP_RATES))
def test_branches_read_from_the_module(name):
    described = describe_aspp_v2(build_v2(name).aspp)
    assert [b.rate for b in described] == list(ASPP_RATES[name])
    for branch in described:
        assert [(layer.kernel_size, layer.in_channels, layer.out_channels) for layer in branch.layers] == [
            (3, 512, 1024),
            (1, 1024, 1024),
            (1, 1024, 21),
        ]
        assert not branch.batch_norm


@pytest.mark.parametrize("size", [513, 321])
@pytest.mark.parametrize("name", list(ASPP_RATES))
def test_every_branch_keeps_the_map_size(name, size):
    net = build_v2(name)
    seen = {s.name: s for s in stage_sizes(net, size)}
    side = (size - 1) // 8 + 1
    assert (seen["pool5"].height, seen["pool5"].width) == (side, side)
    with torch.device("meta"):
        out = net(torch.zeros(1, 3, size, size))
    assert tuple(out.shape) == (1, 21, side, side)
    assert score_shape(net, size) == (21, side, side)


def test_fusion_is_the_sum_of_the_branch_scores():
    torch.manual_seed(0)
    aspp = ASPPv2(ASPP_RATES["ASPP-S"], in_channels=8, channels=16, num_classes=5).eval()
    x = torch.randn(2, 8, 17, 17)  # (B, C, h, w)
    expected = sum(branch(x) for branch in aspp.branches)
    torch.testing.assert_close(aspp(x), expected)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in aspp.modules())
