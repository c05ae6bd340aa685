"""Output stride and multi-grid: feature sizes from real forward passes, per-block rates read from the modules."""

import pytest
import torch

from deeplab_core.config import ASPP_RATES, MODEL_NAMES, RESOLUTIONS
from deeplab_core.nets.aspp import atrous_convs
from deeplab_core.nets.checkpoints import CATEGORIES, NUM_CLASSES, TORCHVISION_RESIZE, weights_enum
from deeplab_core.nets.model import architecture
from deeplab_core.nets.wiring import block_dilations, set_output_stride


@pytest.fixture(scope="module")
def resnet50(random_model):
    return random_model("resnet50")  # this module's own copy: the tests rewire it


@pytest.mark.parametrize("output_stride, features", [(8, 65), (16, 33)])
def test_feature_and_output_sizes_at_513(resnet50, output_stride, features):
    set_output_stride(resnet50, output_stride)
    x = torch.randn(1, 3, 513, 513)  # (1, 3, 513, 513): DeepLabv3's crop size
    with torch.inference_mode():
        feature = resnet50.net.backbone(x)["out"]  # (1, 2048, f, f)
        out = resnet50.net.classifier(feature)  # (1, 21, f, f)
        full = torch.nn.functional.interpolate(out, size=(513, 513), mode="bilinear", align_corners=False)
    assert feature.shape == (1, 2048, features, features)
    assert out.shape == (1, 21, features, features)
    assert full.shape == (1, 21, 513, 513)


def test_model_forward_keeps_the_input_size(resnet50):
    set_output_stride(resnet50, 16)
    with torch.inference_mode():
        assert resnet50.net(torch.randn(1, 3, 65, 81))["out"].shape == (1, 21, 65, 81)


@pytest.mark.parametrize(
    "output_stride, multi_grid, layer3, layer4",
    [
        (8, (1, 1, 1), (1, 2, 2, 2, 2, 2), (2, 4, 4)),
        (16, (1, 1, 1), (1, 1, 1, 1, 1, 1), (1, 2, 2)),
        (16, (1, 2, 4), (1, 1, 1, 1, 1, 1), (2, 4, 8)),
        (8, (1, 2, 4), (1, 2, 2, 2, 2, 2), (4, 8, 16)),
    ],
)
def test_block_dilations(resnet50, output_stride, multi_grid, layer3, layer4):
    set_output_stride(resnet50, output_stride, multi_grid)
    assert block_dilations(resnet50) == {"layer3": layer3, "layer4": layer4}
    assert tuple(c.dilation[0] for c in atrous_convs(resnet50.net.classifier[0])) == ASPP_RATES[output_stride]
    for block in (*resnet50.net.backbone.layer3, *resnet50.net.backbone.layer4):
        assert block.conv2.padding == block.conv2.dilation  # 3×3 convs keep their map's size


def test_torchvision_wiring_is_output_stride_8(random_model):
    """set_output_stride(8) reproduces torchvision's own dilated ResNet exactly."""
    fresh = random_model("resnet50")  # as load_model built it, never rewired
    before = block_dilations(fresh)
    assert before == {"layer3": (1, 2, 2, 2, 2, 2), "layer4": (2, 4, 4)}


def test_state_dict_keys_and_weights_unchanged(resnet50):
    before = {k: v.clone() for k, v in resnet50.net.state_dict().items()}
    set_output_stride(resnet50, 16, (1, 2, 4))
    after = resnet50.net.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], before[k]) for k in before)


def test_mobilenet_and_bad_values_are_refused(resnet50, random_model):
    with pytest.raises(ValueError, match="ResNet"):
        set_output_stride(random_model("mobilenet_v3_large"), 16)
    with pytest.raises(ValueError, match="Output stride"):
        set_output_stride(resnet50, 4)
    with pytest.raises(ValueError, match="Multi-grid"):
        set_output_stride(resnet50, 16, (1, 2))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_what_travels_with_the_weights_is_read_from_their_metadata(name):
    """Class names, their number and the preset's resize come from each checkpoint's metadata, and all agree."""
    weights = weights_enum(name)
    assert CATEGORIES == tuple(weights.meta["categories"]) and CATEGORIES[1] == "aeroplane"
    assert NUM_CLASSES == len(CATEGORIES) == 21  # PASCAL VOC: background and 20 classes
    assert TORCHVISION_RESIZE == weights.transforms().resize_size[0]
    assert TORCHVISION_RESIZE in RESOLUTIONS  # the segment page offers the preset, and starts there
    assert architecture(name).classifier[-1].out_channels == NUM_CLASSES
