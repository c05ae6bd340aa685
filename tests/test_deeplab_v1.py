"""DeepLab v1's variants measured on the built modules: map sizes, parameters, receptive fields, Table 2's column."""

import pytest
import torch
from torch import nn

from deeplab_core.facts import fact
from deeplab_core.maths.receptive_field import receptive_field
from deeplab_core.nets import v1_inspect
from deeplab_core.nets.deeplab_v1 import OUTPUT_STRIDE, V1_VARIANTS, VARIANTS, build_v1, upsample, vgg16_cache_path
from deeplab_core.nets.v1_inspect import (
    fc6_parameters_closed_form,
    layers,
    paper_fov,
    parameters,
    predicted_sizes,
    stage_sizes,
    theoretical_rf,
)

PAPER_COLUMN = {"7x7_r4": 224, "4x4_r4": 128, "4x4_r8": 224, "largefov": 224}  # Table 2, "receptive field"
PAPER_PARAMETERS = {"7x7_r4": 134.3, "4x4_r4": 65.1, "4x4_r8": 65.1, "largefov": 20.5}  # Table 2, millions


def meta(key: str):
    return build_v1(key, device="meta").net


@pytest.mark.parametrize("size", [513, 321])
@pytest.mark.parametrize("key", list(VARIANTS))
def test_map_sizes_from_hooks_match_the_output_size_formula(key, size):
    net = meta(key)
    seen = {stage.name: stage for stage in stage_sizes(net, size)}
    predicted = predicted_sizes(net, size)
    assert {name: stage.height for name, stage in seen.items()} == {name: predicted[name] for name in seen}
    assert seen["fc8"].height == seen["fc8"].width == (size - 1) // OUTPUT_STRIDE + 1  # 65 and 41, as DeepLab's
    assert seen["fc8"].channels == 21 and seen["fc6"].channels == VARIANTS[key].channels


@pytest.mark.parametrize("variant", V1_VARIANTS, ids=lambda v: v.key)
def test_fc6_parameters_follow_the_closed_form_and_the_totals_the_paper(variant):
    net = meta(variant.key)
    assert parameters(net.fc6) == fc6_parameters_closed_form(variant)
    assert round(parameters(net) / 1e6, 1) == PAPER_PARAMETERS[variant.key]


def test_the_paper_column_is_fc6s_window_in_vgg16_stride_32_cells():
    """224 / 128 / 224 / 224 = 8(k' − 1) + 32; the whole network's receptive field differs by the same steps."""
    fov = {key: paper_fov(meta(key)) for key in VARIANTS}
    assert fov == PAPER_COLUMN
    theory = {key: theoretical_rf(meta(key)) for key in VARIANTS}
    assert all(theory[key] > fov[key] for key in VARIANTS)  # not the network's theoretical receptive field
    base = "4x4_r4"
    assert {k: theory[k] - theory[base] for k in VARIANTS} == {k: fov[k] - fov[base] for k in VARIANTS}
    assert v1_inspect.original_vgg_stride() == 32


def _replica(named_layers) -> nn.Sequential:
    """One channel per layer, same geometry, ones weights, average pooling: every path carries gradient."""
    modules = []
    for named in named_layers:
        g = named.layer
        if named.name.startswith("pool"):
            modules.append(nn.AvgPool2d(g.kernel_size, g.stride, g.padding))
        else:
            conv = nn.Conv2d(1, 1, g.kernel_size, g.stride, g.padding, g.dilation, bias=False)
            nn.init.ones_(conv.weight)
            modules.append(conv)
    return nn.Sequential(*modules)


@pytest.mark.parametrize("key", ["4x4_r4", "largefov"])
def test_theoretical_receptive_field_matches_autograd(key):
    net = meta(key)
    size = 8 * 60 + 1  # larger than any variant's field
    x = torch.ones(1, 1, size, size, requires_grad=True)
    out = _replica(layers(net))(x)  # (1, 1, h, w)
    out[0, 0, out.shape[-2] // 2, out.shape[-1] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    assert int(rows[-1] - rows[0]) + 1 == theoretical_rf(net)
    records = receptive_field([n.layer for n in layers(net)])
    assert records[-1].jump == OUTPUT_STRIDE


def test_section_3_2_gives_both_conventions_and_the_release_pools_15_pixels_wider():
    """§3.2: 224 with zero-padding (the Table 2 column) and 404 applied convolutionally, 128 and 308 for a 4×4 fc6;
    the second is VGG-16's own theoretical field (2×2 pooling); 3×3 windows in pool1–pool4 add 1 + 2 + 4 + 8."""
    assert paper_fov(meta("7x7_r4")) == fact("deeplabv1.s3_2.vgg_padded").value
    assert paper_fov(meta("4x4_r4")) == fact("deeplabv1.s3_2.fc6_4x4_padded").value
    assert v1_inspect.vgg_rf(VARIANTS["7x7_r4"]) == fact("deeplabv1.s3_2.vgg_convolutional").value
    assert v1_inspect.vgg_rf(VARIANTS["4x4_r4"]) == fact("deeplabv1.s3_2.fc6_4x4_convolutional").value
    assert {k: theoretical_rf(meta(k)) - v1_inspect.vgg_rf(v) for k, v in VARIANTS.items()} == dict.fromkeys(
        VARIANTS, 1 + 2 + 4 + 8
    )


def test_vgg16s_own_field_matches_autograd():
    named = v1_inspect.vgg_layers(VARIANTS["4x4_r4"])
    x = torch.ones(1, 1, 385, 385, requires_grad=True)  # (1, 1, H, W), wider than 308
    out = _replica(named)(x)  # (1, 1, h, w)
    out[0, 0, out.shape[-2] // 2, out.shape[-1] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    assert int(rows[-1] - rows[0]) + 1 == v1_inspect.vgg_rf(VARIANTS["4x4_r4"])


def test_the_conv_weights_are_vgg16s_and_load_unchanged():
    net = build_v1("largefov").net
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13 and [c.dilation[0] for c in convs[-3:]] == [2, 2, 2]
    pools = [m for m in net.features if isinstance(m, nn.MaxPool2d)]
    assert [p.stride for p in pools] == [2, 2, 2, 1, 1]
    from torchvision.models import vgg16

    state = vgg16(weights=None).features.state_dict()
    net.features.load_state_dict(state)  # the same names and shapes: ImageNet weights load as they are


def test_backbone_is_labelled_and_never_downloaded(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert not vgg16_cache_path().exists()
    model = build_v1("4x4_r4")
    assert model.backbone == "random"
    scores = model.net(torch.zeros(1, 3, 65, 65))  # (1, 21, 9, 9)
    assert scores.shape == (1, 21, 9, 9)
    assert upsample(scores, (65, 65)).shape == (1, 21, 65, 65)
    assert not any(tmp_path.rglob("*.pth"))
