"""The numbers the prose states are computed: checked here against brute force and the real networks' shapes."""

import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from deeplab_core import i18n, prose_values
from deeplab_core.config import ASPP_RATES, CROP_SIZE, TORCHVISION_OUTPUT_STRIDE, feature_size
from deeplab_core.nets.checkpoints import TORCHVISION_RESIZE
from deeplab_core.nets.deeplab_v1 import V1_VARIANTS
from deeplab_core.nets.lab.prose import shipped_values
from deeplab_core.nets.model import architecture
from deeplab_core.nets.network_rf import network_field
from deeplab_core.nets.v1_inspect import variant_rows


def conv2d_share(size: int, rate: int, valid: int) -> float:
    """Brute force: a ones 3×3 kernel over a ones map with padding = rate counts the valid taps per position."""
    counts = F.conv2d(torch.ones(1, 1, size, size), torch.ones(1, 1, 3, 3), padding=rate, dilation=rate)  # (1,1,n,n)
    return float((counts == valid).float().mean())


@pytest.mark.parametrize(("size", "rate"), [(65, 36), (33, 18), (65, 24), (33, 12), (33, 24), (33, 36), (65, 6)])
@pytest.mark.parametrize("valid", [1, 2, 4, 6, 9])
def test_share_matches_conv2d(size, rate, valid):
    assert prose_values.share(size, rate, valid) == pytest.approx(conv2d_share(size, rate, valid))


def test_the_issue_numbers():
    """Issue 11: rate 36 on 65×65 keeps 4 weights at ~80 %, 2 at ~19 %, 1 at ~1 %; on MobileNetV3's 33×33 map of a
    square photo at a 520 input it is exactly 1×1."""
    link = prose_values.aspp_pooling_link()
    assert (link["four"], link["two"], link["one"]) == ("80%", "19%", "1%")
    assert (link["mobilenet_map"], link["mobilenet_one"]) == ("33", "100%")
    consequence = prose_values.large_rates_consequence()
    assert consequence["one16"] == "1%" and consequence["r16"] == str(ASPP_RATES[16][-1])


@pytest.mark.parametrize("output_stride", [8, 16, 32])
@pytest.mark.parametrize("input_size", [513, 520, 321])
def test_halved_size_matches_the_real_backbones(input_size, output_stride):
    net = architecture("resnet50", output_stride=output_stride)
    with torch.device("meta"):
        out = net.backbone(torch.zeros(1, 3, input_size, input_size))["out"]  # (1, 2048, h, w)
    assert out.shape[-1] == prose_values.halved_size(input_size, output_stride)


def test_mobilenet_map_size_is_the_real_networks():
    net = architecture("mobilenet_v3_large")
    with torch.device("meta"):
        out = net.backbone(torch.zeros(1, 3, TORCHVISION_RESIZE, TORCHVISION_RESIZE))["out"]  # (1, 960, h, w)
    stride = TORCHVISION_OUTPUT_STRIDE["mobilenet_v3_large"]
    assert out.shape[-1] == prose_values.halved_size(TORCHVISION_RESIZE, stride)
    assert str(out.shape[-1]) == prose_values.aspp_pooling_link()["mobilenet_map"]


def test_a_four_by_three_photo_gives_mobilenet_a_wider_map_where_rate_36_is_not_1x1():
    link = prose_values.aspp_pooling_link()
    long = prose_values.resized_long_side(TORCHVISION_RESIZE, prose_values.PHOTO_ASPECT)
    resized = TF.resize(torch.zeros(1, 300, 400), TORCHVISION_RESIZE, antialias=False)  # (C, h, w): a 4:3 photo
    assert tuple(resized.shape[1:]) == (TORCHVISION_RESIZE, long)
    net = architecture("mobilenet_v3_large")
    with torch.device("meta"):
        out = net.backbone(torch.zeros(1, 3, TORCHVISION_RESIZE, long))["out"]  # (1, 960, h, w)
    assert (str(out.shape[-2]), str(out.shape[-1])) == (link["mobilenet_map"], link["wide_map"])
    h, w, rate = out.shape[-2], out.shape[-1], int(link["tv_rate"])
    counts = F.conv2d(torch.ones(1, 1, h, w), torch.ones(1, 1, 3, 3), padding=rate, dilation=rate)  # (1, 1, h, w)
    assert prose_values.centre_only_share(h, w, rate) == pytest.approx(float((counts == 1).float().mean()))
    assert link["wide_one"] == prose_values.percent(float((counts == 1).float().mean())) != "100%"


def test_crop_maps_are_config_sizes():
    assert prose_values.halved_size(CROP_SIZE, 8) == feature_size(CROP_SIZE, 8) == 65


def test_percent_never_shows_zero_for_a_share():
    assert prose_values.percent(0.0) == "0%"
    assert prose_values.percent(0.001) == "<1%"
    assert prose_values.percent(0.7962) == "80%"


@pytest.mark.parametrize(
    ("lesson", "section", "values"),
    [
        ("aspp", "module", prose_values.aspp_module),
        ("aspp", "pooling_link", prose_values.aspp_pooling_link),
        ("large_rates", "consequence", prose_values.large_rates_consequence),
        ("large_rates", "notice", prose_values.large_rates_notice),
        ("deeplab_v1_v2", "hole", prose_values.v1_speedup),
        ("deeplab_v1_v2", "two_fields", lambda: prose_values.v1_two_fields(variant_rows(V1_VARIANTS, 321))),
    ],
)
@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_each_function_fills_its_section_exactly(lesson, section, values, lang):
    """i18n.section raises on a missing or an unused value, so this is the contract between prose and page."""
    text = i18n.section(lesson, lang, section, **values())
    assert "[[value:" not in text


def test_largefov_trains_as_many_times_faster_as_the_paper_says():
    """v1 §5 ("Field of View"): LargeFOV "is 3.36 times faster"; computed here from Table 2's two speeds."""
    assert prose_values.v1_speedup() == {"speedup": "3.36"}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_train_prose_compares_deeplab_backbones_with_their_crop(lang):
    """Issue 18 item 15: by the theoretical measure torchvision's ResNet-101 sees more than DeepLab's 513 crop, only
    ResNet-50 less; the numbers come from the modules and fill the train lesson's section exactly."""
    values = shipped_values()
    assert int(values["rf50"]) < int(values["crop"]) == CROP_SIZE < int(values["rf101"])
    assert int(values["rf101"]) == network_field(architecture("resnet101")).final.size
    assert "[[value:" not in i18n.section("train", lang, "shipped", **values)
