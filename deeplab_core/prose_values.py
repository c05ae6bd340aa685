"""The numbers the lesson prose states that the app can compute: computed here, never typed in the prose.

Prose writes `[[value:NAME]]` (see `deeplab_core.i18n`); a page passes one of these dicts to `section(...)`, so a
sentence such as "at rate 36 on a 65×65 map, 80 % of the positions keep 4 valid weights" is always the output of
`valid_weight_fractions` for the map size and rate that `config` holds. Each function serves one prose section
and returns exactly the names that section uses (i18n rejects a missing or an unused one). Values are strings,
formatted the same way in both languages.

Sources of the settings: DeepLabv3 (Chen et al. 2017, §3.3: ASPP rates (6, 12, 18) at output stride 16, doubled at
8; §4.1: 513×513 crops) and torchvision's DeepLabv3 builders (rates (12, 24, 36) for every backbone).
"""

from __future__ import annotations

from collections.abc import Sequence

from deeplab_core.config import (
    ASPP_RATES,
    CROP_SIZE,
    TORCHVISION_ASPP_RATES,
    TORCHVISION_OUTPUT_STRIDE,
    TRAIN_OUTPUT_STRIDE,
    feature_size,
)
from deeplab_core.facts import fact
from deeplab_core.maths.dilation import conv_output_size
from deeplab_core.maths.valid_weights import axis_tap_validity, valid_weight_fractions
from deeplab_core.nets.checkpoints import TORCHVISION_RESIZE
from deeplab_core.nets.deeplab_v1 import CONV5_RATE, V1_VARIANTS
from deeplab_core.nets.deeplab_v1 import OUTPUT_STRIDE as V1_OUTPUT_STRIDE
from deeplab_core.nets.deeplab_v1 import VARIANTS as V1_BY_KEY
from deeplab_core.nets.deeplab_v2 import ASPP_RATES as V2_ASPP_RATES
from deeplab_core.nets.v1_inspect import VariantRow

MOBILENET = "mobilenet_v3_large"
PHOTO_ASPECT = (4, 3)  # a camera photo's long side to its short side


def percent(share: float) -> str:
    """A share as a whole percentage; a share that is not zero never prints as 0 %."""
    if 0 < share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def rates(values: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(v) for v in values) + ")"


def halved_size(input_size: int, output_stride: int) -> int:
    """Side of the final map when every stride-2 layer is a k×k convolution with padding (k − 1)/2 (torchvision's
    ResNet and MobileNetV3): each one gives ⌈i/2⌉, and there are log2(output_stride) of them."""
    size = input_size
    for _ in range(output_stride.bit_length() - 1):
        size = conv_output_size(size, 3, stride=2, padding=1)
    return size


def share(map_size: int, rate: int, valid: int) -> float:
    """Fraction of the positions where a 3×3 filter with `rate` keeps exactly `valid` weights (padding = rate)."""
    return valid_weight_fractions(map_size, rate).get(valid, 0.0)


def aspp_module() -> dict[str, str]:
    """ASPP lesson, `module`: torchvision's rates, and the output stride each of its models runs at."""
    resnet_os = TORCHVISION_OUTPUT_STRIDE["resnet50"]
    mobilenet_os = TORCHVISION_OUTPUT_STRIDE[MOBILENET]
    return {
        "tv_rates": rates(TORCHVISION_ASPP_RATES),
        "resnet_os": str(resnet_os),
        "mobilenet_os": str(mobilenet_os),
        "paper_rates": rates(ASPP_RATES[16]),
        "factor": str(TORCHVISION_ASPP_RATES[0] // ASPP_RATES[mobilenet_os][0]),
    }


def centre_only_share(height: int, width: int, rate: int) -> float:
    """Fraction of the positions of a height × width map where a 3×3 filter at `rate` (padding = rate) keeps only
    its centre weight: a position has a·b valid taps, a along the rows and b along the columns."""
    rows = axis_tap_validity(height, rate).sum(1) == 1  # (height,) only the centre tap on the map, vertically
    cols = axis_tap_validity(width, rate).sum(1) == 1  # (width,)
    return float(rows.mean() * cols.mean())


def resized_long_side(short: int, aspect: tuple[int, int]) -> int:
    """The long side torchvision's resize gives a photo of aspect long:short when its short side becomes `short`."""
    long, side = aspect
    return int(short * long / side)


def aspp_pooling_link() -> dict[str, str]:
    """ASPP lesson, `pooling_link`: the largest rate on the paper's 65×65 map thins out; on torchvision's
    MobileNetV3 map of a square photo it is exactly 1×1, on a 4:3 photo's map it is not."""
    n, rate = feature_size(CROP_SIZE, 8), ASPP_RATES[8][-1]
    mobilenet_os = TORCHVISION_OUTPUT_STRIDE[MOBILENET]
    mobilenet_map = halved_size(TORCHVISION_RESIZE, mobilenet_os)
    wide_map = halved_size(resized_long_side(TORCHVISION_RESIZE, PHOTO_ASPECT), mobilenet_os)
    tv_rate = TORCHVISION_ASPP_RATES[-1]
    return {
        "rate": str(rate),
        "n": str(n),
        "crop": str(CROP_SIZE),
        "four": percent(share(n, rate, 4)),
        "two": percent(share(n, rate, 2)),
        "one": percent(share(n, rate, 1)),
        "mobilenet_map": str(mobilenet_map),
        "mobilenet_input": str(TORCHVISION_RESIZE),
        "tv_rate": str(tv_rate),
        "mobilenet_one": percent(share(mobilenet_map, tv_rate, 1)),
        "aspect": f"{PHOTO_ASPECT[0]}:{PHOTO_ASPECT[1]}",
        "wide_map": str(wide_map),
        "wide_one": percent(centre_only_share(mobilenet_map, wide_map, tv_rate)),
    }


def large_rates_consequence() -> dict[str, str]:
    """Large-rates lesson, `consequence`: how far the paper's largest rates are from a 1×1 filter at a 513 crop."""
    n16, n8 = feature_size(CROP_SIZE, 16), feature_size(CROP_SIZE, 8)
    r16, r8 = ASPP_RATES[16][-1], ASPP_RATES[8][-1]
    return {
        "crop": str(CROP_SIZE),
        "n16": str(n16),
        "r16": str(r16),
        "one16": percent(share(n16, r16, 1)),
        "four16": percent(share(n16, r16, 4)),
        "n8": str(n8),
        "r8": str(r8),
        "one8": percent(share(n8, r8, 1)),
        "four8": percent(share(n8, r8, 4)),
    }


def large_rates_notice() -> dict[str, str]:
    """Large-rates lesson, `notice`: one rate on two maps, and the doubled rate on the doubled map."""
    n16, n8 = feature_size(CROP_SIZE, 16), feature_size(CROP_SIZE, 8)
    r16, r8 = ASPP_RATES[16][1], ASPP_RATES[8][1]  # the middle branch: 12 at output stride 16, 24 at 8
    return {
        "n16": str(n16),
        "n8": str(n8),
        "r16": str(r16),
        "r8": str(r8),
        "one_small": percent(share(n16, r8, 1)),
        "one_large": percent(share(n8, r8, 1)),
        "nine16": percent(share(n16, r16, 9)),
        "nine8": percent(share(n8, r8, 9)),
        "four16": percent(share(n16, r16, 4)),
        "four8": percent(share(n8, r8, 4)),
    }


def v1_speedup() -> dict[str, str]:
    """DeepLab v1 lesson, `hole`: how many times faster LargeFOV trains than the 7×7 model (Table 2's two speeds)."""
    ratio = float(fact("deeplabv1.table2.largefov.speed").value) / float(fact("deeplabv1.table2.7x7_r4.speed").value)
    return {"speedup": f"{ratio:.2f}"}


def v1_two_fields(rows: Sequence[VariantRow]) -> dict[str, str]:
    """DeepLab v1 lesson, `two_fields`: VGG-16's own field for fc6 7×7 and 4×4 (§3.2's convolutional figures) and
    how much wider the network built here is, from the measured rows."""
    by_key = {row.variant.key: row for row in rows}
    extra = {row.theoretical_rf - row.vgg_rf for row in rows}
    assert len(extra) == 1, "the pooling layers are the same in every variant"
    return {
        "vgg7": str(by_key["7x7_r4"].vgg_rf),
        "vgg4": str(by_key["4x4_r4"].vgg_rf),
        "largefov_rf": str(by_key["largefov"].theoretical_rf),
        "extra": str(extra.pop()),
    }


def version_settings() -> dict[str, str]:
    """DeepLab v1 lesson, the v1/v2/v3 table: each version's settings as this course builds them (and two facts)."""
    return {
        "v1_os": str(V1_OUTPUT_STRIDE),
        "conv5": str(CONV5_RATE),
        "fc6_rates": ", ".join(str(r) for r in sorted({v.rate for v in V1_VARIANTS})),
        "largefov": str(V1_BY_KEY["largefov"].rate),
        "aspp_l": ", ".join(map(str, V2_ASPP_RATES["ASPP-L"])),
        "aspp_s": ", ".join(map(str, V2_ASPP_RATES["ASPP-S"])),
        "aspp_v3": ", ".join(map(str, ASPP_RATES[TRAIN_OUTPUT_STRIDE])),
        "v3_train": str(TRAIN_OUTPUT_STRIDE),
        "v3_eval": " / ".join(str(s) for s in sorted(ASPP_RATES) if s <= TRAIN_OUTPUT_STRIDE),
        "v3_test": fact("deeplabv3.test.train_output_stride").formatted(),
        "resnet_rates": fact("deeplabv2_release.resnet_aspp_rates").formatted(),
    }
