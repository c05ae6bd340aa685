"""deeplab_core.nets.inspection: stage sizes measured by hooks against the chained formula, rates against modules."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.maths.dilation import conv_output_size
from deeplab_core.maths.receptive_field import receptive_field
from deeplab_core.nets.inspection import (
    STAGES,
    aspp_layers,
    backbone_layers,
    dilation_table,
    output_stride_of,
    predicted_stage_sizes,
    stage_shapes,
    stage_strides,
)
from deeplab_core.nets.model import architecture
from deeplab_core.nets.wiring import set_output_stride, stage_rates

# 513×513 (DeepLabv3's crop): conv1, max pool, layer1 .. layer4
EXPECTED_513 = {32: [257, 129, 129, 65, 33, 17], 16: [257, 129, 129, 65, 33, 33], 8: [257, 129, 129, 65, 65, 65]}


def _chained_formula(input_size: int, output_stride: int) -> list[int]:
    """The oracle written out: each stage's first strided layer by conv_output_size; dilated 3×3s keep the size."""
    stem = conv_output_size(input_size, 7, stride=2, padding=3)
    pool = conv_output_size(stem, 3, stride=2, padding=1)
    sizes, size, stride = [stem, pool, pool], pool, 4
    for _stage in ("layer2", "layer3", "layer4"):
        if stride < output_stride:
            size, stride = conv_output_size(size, 3, stride=2, padding=1), stride * 2
        sizes.append(size)
    return sizes


@pytest.mark.parametrize("name", ["resnet50", "resnet101"])
@pytest.mark.parametrize("output_stride", [32, 16, 8])
def test_stage_sizes_at_513_from_hooks_match_the_formula(name, output_stride):
    model = architecture(name, output_stride)
    shapes = stage_shapes(model, 513)
    measured = [s.height for s in shapes]
    assert [s.name for s in shapes] == list(STAGES)
    assert measured == [s.width for s in shapes]
    assert measured == predicted_stage_sizes(model, 513) == _chained_formula(513, output_stride)
    assert measured == EXPECTED_513[output_stride]
    assert [s.channels for s in shapes] == [64, 64, 256, 512, 1024, 2048]
    assert output_stride_of(model) == output_stride
    assert stage_strides(model)[-1] == output_stride


def test_real_forward_pass_at_513_gives_the_same_shapes_as_the_meta_twin(random_model):
    model = random_model("resnet50").net
    set_output_stride(model, 32)  # the cheapest real pass at 513×513
    assert stage_shapes(model, 513) == stage_shapes(architecture("resnet50", 32), 513)


def test_meta_twin_has_the_loaded_models_modules_and_shapes(random_model):
    real = random_model("resnet50").net
    twin = architecture("resnet50", 8)
    assert {k: v.shape for k, v in real.state_dict().items()} == {k: v.shape for k, v in twin.state_dict().items()}
    assert dilation_table(real) == dilation_table(twin)  # torchvision's own wiring is output stride 8


@settings(max_examples=20, deadline=None)
@given(
    output_stride=st.sampled_from([8, 16, 32]),
    multi_grid=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
)
def test_dilation_table_equals_the_modules_after_set_output_stride(output_stride, multi_grid):
    model = architecture("resnet50", output_stride, multi_grid)
    table = dilation_table(model)
    for row in table:
        conv = getattr(model.backbone, row.stage)[row.block].conv2
        assert (row.stride, row.dilation, row.padding) == (conv.stride[0], conv.dilation[0], conv.padding[0])
        assert row.padding == row.dilation  # 3×3: same-size padding
    layer3, layer4 = stage_rates(output_stride, multi_grid, 6, 3)
    assert tuple(r.dilation for r in table if r.stage == "layer3") == layer3
    assert tuple(r.dilation for r in table if r.stage == "layer4") == layer4


def test_paper_example_multi_grid_1_2_4_at_output_stride_16_gives_rates_2_4_8():
    rows = dilation_table(architecture("resnet101", 16, (1, 2, 4)))
    assert tuple(r.dilation for r in rows if r.stage == "layer4") == (2, 4, 8)
    assert len([r for r in rows if r.stage == "layer3"]) == 23


def test_without_multi_grid_the_first_dilated_block_keeps_the_previous_rate():
    rows = dilation_table(architecture("resnet50", 8))
    assert tuple(r.dilation for r in rows if r.stage == "layer3") == (1, 2, 2, 2, 2, 2)
    assert tuple(r.dilation for r in rows if r.stage == "layer4") == (2, 4, 4)


def test_receptive_field_of_the_main_path_grows_with_multi_grid():
    plain, grid = architecture("resnet50", 16), architecture("resnet50", 16, (1, 2, 4))
    size = [receptive_field([n.layer for n in backbone_layers(m)])[-1].size for m in (plain, grid)]
    # layer4's 3×3 rates go from (1, 2, 2) to (2, 4, 8): 2·jump(16)·((2+4+8) − (1+2+2)) more pixels
    assert size[1] - size[0] == 2 * 16 * ((2 + 4 + 8) - (1 + 2 + 2))
    assert [n.layer.dilation for n in aspp_layers(plain)] == [6, 12, 18]


def test_stage_shapes_leave_no_hooks_behind():
    model = architecture("resnet50", 16)
    stage_shapes(model, 65)
    assert all(not getattr(model.backbone, name)._forward_hooks for name in STAGES)
    assert torch.device("meta") == next(model.parameters()).device
