"""Lab variants: parameters matched, output stride and receptive field read from the module and checked
against the feature maps' shapes and against autograd."""

import numpy as np
import pytest
import torch
from torch import nn

from deeplab_core.maths.hdc import hdc_verdict
from deeplab_core.maths.receptive_field import receptive_field
from deeplab_core.nets.lab.variants import (
    VARIANTS,
    backbone_coverage,
    build,
    conv_layers,
    describe,
    expand_keys,
    geometry,
    longest_path,
    parameter_count,
)

DESIGNED_OS = {"a": 32, "b": 8, "c": 8, "d": 8, "e-grid": 8, "e-hdc": 8}


def test_parameter_counts_match_within_ten_percent():
    counts = {k: parameter_count(build(k)) for k in VARIANTS}
    assert max(counts.values()) <= 1.10 * min(counts.values()), counts


@pytest.mark.parametrize("key", list(VARIANTS))
def test_output_stride_is_the_designed_one_and_the_real_one(key):
    model = build(key).eval()
    g = geometry(model)
    assert g.output_stride == DESIGNED_OS[key]
    x = torch.zeros(2, 3, 96, 96)
    with torch.no_grad():
        features = model.backbone(x)  # (2, C, 96/OS, 96/OS)
        assert features.shape[-1] == 96 // g.output_stride
        assert model(x).shape == (2, 6, 96, 96)


@pytest.mark.parametrize("key", list(VARIANTS))
def test_receptive_field_is_the_course_recurrence_on_the_modules_layers(key):
    model = build(key)
    assert geometry(model).receptive_field == receptive_field(longest_path(model))[-1].size
    assert geometry(model).global_context == (key == "d")


def test_atrous_keeps_the_field_of_view_of_striding():
    """DeepLab's conversion: rates replace strides and the backbone sees exactly as far."""
    a, b = (receptive_field(conv_layers(build(k).backbone))[-1].size for k in ("a", "b"))
    assert a == b


def linear_ones(module: nn.Module) -> nn.Module:
    """Every conv weight 1, ReLU removed, BN as in eval: the gradient then counts paths."""
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU):
            setattr(module, name, nn.Identity())
        else:
            linear_ones(child)
        if isinstance(child, nn.Conv2d):
            nn.init.ones_(child.weight)
    return module.eval()


@pytest.mark.parametrize("key", ["a", "b", "e-grid", "e-hdc"])
def test_coverage_equals_what_autograd_sees(key):
    """The course's 1-D coverage, squared into 2-D, is the gradient of one backbone unit w.r.t. the input."""
    backbone = linear_ones(build(key).backbone).double()
    os_ = geometry(build(key)).output_stride
    size = 512 if key == "a" else 256  # the centre unit's window and all its paths inside the image
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = backbone(x.expand(1, 3, size, size))  # (1, C, size/OS, size/OS)
    centre = out.shape[-1] // 2
    out[0, 0, centre, centre].backward()
    grad = x.grad[0, 0].numpy()
    paths = backbone_coverage(key)
    rf = receptive_field(conv_layers(build(key).backbone))[-1]
    first = int(rf.start + centre * os_ - (rf.size - 1) / 2)
    window = grad[first : first + rf.size, first : first + rf.size]
    expected = np.outer(paths, paths).astype(float)
    assert np.count_nonzero(grad) == np.count_nonzero(window)  # nothing outside the receptive field
    assert np.allclose(window / window.max(), expected / expected.max())
    assert ((window == 0) == (expected == 0)).all()


def test_only_the_gridding_stack_has_holes():
    holes = {k: describe(k).geometry.holes for k in VARIANTS}
    assert holes["e-grid"] > 0
    assert all(v == 0 for k, v in holes.items() if k != "e-grid"), holes
    assert hdc_verdict(VARIANTS["e-grid"].rates).common_factor == 2
    assert hdc_verdict(VARIANTS["e-hdc"].rates).no_common_factor


def test_e_stacks_differ_only_in_their_rates():
    g, h = VARIANTS["e-grid"], VARIANTS["e-hdc"]
    assert sum(g.rates) == sum(h.rates) and len(g.rates) == len(h.rates)
    assert geometry(build("e-grid")).receptive_field == geometry(build("e-hdc")).receptive_field


def test_command_line_names():
    assert expand_keys(["a", "e", "b", "a"]) == ["a", "e-grid", "e-hdc", "b"]
    with pytest.raises(ValueError, match="Unknown variant"):
        expand_keys(["z"])


def test_same_seed_same_weights():
    one, two = build("c", 3), build("c", 3)
    assert all(torch.equal(p, q) for p, q in zip(one.parameters(), two.parameters(), strict=True))
