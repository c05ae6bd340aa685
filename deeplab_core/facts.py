"""The paper-facts registry: every number the course quotes from a paper, once, with where it comes from.

Prose and UI strings never type such a number. They write a placeholder `[[fact:KEY]]`, which `deeplab_core.i18n`
replaces with the registered value in both languages, so English and Chinese always quote the same figure, and a
correction made here reaches every page. A number the app can compute is computed instead, never registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    authors: str
    title: str
    venue: str  # where and when it appeared, with the arXiv number when there is one


@dataclass(frozen=True)
class Fact:
    value: float | int | str
    paper: str  # a key of PAPERS
    where: str  # table, figure or section: "Table 5", "§4.3", "Figure 4"
    setting: str  # what the number was measured on: data set, split, model, output stride, ...
    decimals: int = 2  # how the value is printed

    def formatted(self) -> str:
        if isinstance(self.value, float):
            return f"{self.value:.{self.decimals}f}"
        return str(self.value)


PAPERS: dict[str, Paper] = {
    "deeplabv3": Paper(
        "L.-C. Chen, G. Papandreou, F. Schroff, H. Adam",
        "Rethinking Atrous Convolution for Semantic Image Segmentation",
        "arXiv:1706.05587, 2017",
    ),
    "wang2018": Paper(
        "P. Wang, P. Chen, Y. Yuan, D. Liu, Z. Huang, X. Hou, G. Cottrell",
        "Understanding Convolution for Semantic Segmentation",
        "WACV 2018, arXiv:1702.08502",
    ),
    "wang2018_code": Paper(
        "TuSimple (released code of Wang et al. 2018)",
        "TuSimple-DUC",
        "github.com/TuSimple/TuSimple-DUC, tusimple_duc/networks/resnet.py (get_resnet_hdc)",
    ),
    # DeepLab v1/v2 lesson
    "deeplabv1": Paper(
        "L.-C. Chen, G. Papandreou, I. Kokkinos, K. Murphy, A. L. Yuille",
        "Semantic Image Segmentation with Deep Convolutional Nets and Fully Connected CRFs",
        "ICLR 2015, arXiv:1412.7062",
    ),
    "deeplabv2": Paper(
        "L.-C. Chen, G. Papandreou, I. Kokkinos, K. Murphy, A. L. Yuille",
        "DeepLab: Semantic Image Segmentation with Deep Convolutional Nets, Atrous Convolution, "
        "and Fully Connected CRFs",
        "IEEE TPAMI 40(4), 2018, arXiv:1606.00915",
    ),
    "deeplabv2_release": Paper(
        "V. Nekrasov (DrSleep), TensorFlow port of the released DeepLab-ResNet-101 Caffe model",
        "tensorflow-deeplab-resnet",
        "github.com/DrSleep/tensorflow-deeplab-resnet, deeplab_resnet/model.py (converted from the release's prototxt)",
    ),
    "pydensecrf": Paper(
        "L. Beyer et al. (Python wrapper of P. Krähenbühl's code)",
        "PyDenseCRF",
        "github.com/lucasb-eyer/pydensecrf, README (Usage), as shipped in pydensecrf2 1.1 on PyPI",
    ),
}

_V3_MG = "PASCAL VOC 2012 val, mIoU %, ResNet-101, output stride 16"
_V1_TABLE2 = (  # key, the paper's name, fc6, then the values of _V1_COLUMNS
    ("7x7_r4", "DeepLab-CRF-7x7", "fc6 7×7, input stride 4", 224, 134.3, 67.64, 1.44),
    ("4x4_r4", "DeepLab-CRF", "fc6 4×4, input stride 4", 128, 65.1, 63.74, 2.90),
    ("4x4_r8", "DeepLab-CRF-4x4", "fc6 4×4, input stride 8", 224, 65.1, 67.14, 2.90),
    ("largefov", "DeepLab-CRF-LargeFOV", "fc6 3×3, input stride 12, 1024 channels", 224, 20.5, 67.64, 4.84),
)
_V1_COLUMNS = (  # fact name, setting, decimals
    ("rf", "'receptive field' column", 2),
    ("params", "'# params', millions", 1),
    ("miou", "mean IOU % after CRF", 2),
    ("speed", "training speed, images per second", 2),
)
FACTS: dict[str, Fact] = {
    "deeplabv3.table5.mg111": Fact(75.36, "deeplabv3", "Table 5", f"{_V3_MG}, Multi-Grid (1, 1, 1), ASPP (6, 12, 18)"),
    "deeplabv3.table5.mg121": Fact(75.93, "deeplabv3", "Table 5", f"{_V3_MG}, Multi-Grid (1, 2, 1), ASPP (6, 12, 18)"),
    "deeplabv3.table5.mg124": Fact(76.58, "deeplabv3", "Table 5", f"{_V3_MG}, Multi-Grid (1, 2, 4), ASPP (6, 12, 18)"),
    "deeplabv3.table5.mg124_rate24": Fact(
        76.46, "deeplabv3", "Table 5", f"{_V3_MG}, Multi-Grid (1, 2, 4), ASPP (6, 12, 18, 24)"
    ),
    "deeplabv3.table5.mg124_image_pooling": Fact(
        77.21, "deeplabv3", "Table 5", f"{_V3_MG}, Multi-Grid (1, 2, 4), ASPP (6, 12, 18) + image pooling"
    ),
    # Output-stride lesson: DeepLabv3 Table 1 (§4.2), cascaded blocks without ASPP, trained and evaluated at one
    # output stride each; and the one output stride the paper evaluates beyond 8 (Appendix C, Cityscapes).
    **{
        f"deeplabv3.table1.os{os}": Fact(
            miou, "deeplabv3", "Table 1", f"PASCAL VOC 2012 val, mIoU %, ResNet-50 with block7, output stride {os}"
        )
        for os, miou in ((8, 75.18), (16, 73.88), (32, 70.06), (64, 59.99), (128, 42.34), (256, 20.29))
    },
    "deeplabv3.table7.jft_test_miou": Fact(
        86.9,
        "deeplabv3",
        "Table 7",
        "PASCAL VOC 2012 test, mIOU %, DeepLabv3-JFT (ResNet-101 pretrained on ImageNet and JFT-300M)",
        decimals=1,
    ),
    "deeplabv3.test.train_output_stride": Fact(
        8,
        "deeplabv3",
        "§4.1, 'Test set result and an effective bootstrapping method'",
        "the 85.7 % test model: fine-tuned on PASCAL VOC 2012 trainval at this output stride, batch norm frozen",
    ),
    **{
        f"deeplabv3.table8.crop{crop}": Fact(
            miou,
            "deeplabv3",
            "Appendix A, Table 8",
            f"PASCAL VOC 2012 val, mIOU %, output stride 16, upsampled logits, batch norm fine-tuned, crop {crop}",
        )
        for crop, miou in ((513, 77.21), (321, 67.22))
    },
    "deeplabv3.appendix_c.eval_output_stride": Fact(
        4, "deeplabv3", "Appendix C", "Cityscapes val, inference with 6 scales, on CPUs; ASPP rates not stated"
    ),
    # Receptive-field lesson: hybrid dilated convolution (HDC) rates, the paper's example and the released code's.
    "wang2018.hdc_example": Fact("1, 2, 5", "wang2018", "§3.2", "worked example of one HDC group of 3×3 layers"),
    "wang2018_code.res4_group": Fact(
        "2, 2, 5, 9, 1, 2, 5, 9, …, 2, 5",
        "wang2018_code",
        "res4",
        "ResNet-101 res4, its 23 units in order: 2, then (2, 5, 9, 1) five times, then 2, 5",
    ),
    "wang2018_code.res5_group": Fact("5, 9, 17", "wang2018_code", "res5", "ResNet-101 res5, its three units"),
    # DeepLab v1/v2 lesson. v1 Table 2 ("Effect of Field-Of-View", PASCAL VOC 2012 val, VGG-16): fc6 kernel size and
    # input stride (atrous rate), the "receptive field" column, parameters, mean IOU after CRF, training speed.
    **{
        f"deeplabv1.table2.{key}.{column}": Fact(value, "deeplabv1", "Table 2", f"{setting}, {name}: {fc6}", decimals)
        for key, name, fc6, *values in _V1_TABLE2
        for (column, setting, decimals), value in zip(_V1_COLUMNS, values, strict=True)
    },
    # §3.2: VGG-16's receptive field in two conventions, and after subsampling fc6 to 4×4.
    **{
        f"deeplabv1.s3_2.{key}": Fact(value, "deeplabv1", "§3.2", setting)
        for key, value, setting in (
            ("vgg_padded", 224, "VGG-16 (fc6 7×7): receptive field 'with zero-padding', pixels per side"),
            ("vgg_convolutional", 404, "VGG-16 (fc6 7×7): receptive field 'if the net is applied convolutionally'"),
            ("fc6_4x4_padded", 128, "fc6 subsampled to 4×4: receptive field 'with zero-padding'"),
            ("fc6_4x4_convolutional", 308, "fc6 subsampled to 4×4: receptive field 'in convolutional mode'"),
        )
    },
    # The CRF's protocol (§5 'Training'; the same in DeepLab v2 §4.1.1).
    "deeplabv1.crf.w2": Fact(3, "deeplabv1", "§5, Training", "fully connected CRF: w₂, fixed (default value)"),
    "deeplabv1.crf.theta_gamma": Fact(3, "deeplabv1", "§5, Training", "fully connected CRF: σγ (θγ), fixed"),
    "deeplabv1.crf.validation_images": Fact(
        100, "deeplabv1", "§5, Training", "val images on which w₁, σα (θα), σβ (θβ) are cross-validated"
    ),
    "deeplabv1.crf.iterations": Fact(10, "deeplabv1", "§5, Training", "mean-field iterations, all experiments"),
    "deeplabv2.crf_gain": Fact(
        "3–5", "deeplabv2", "§4.1.1", "absolute mean IOU gain of the CRF, every fc6 variant of Table 1 (VGG-16, val)"
    ),
    # v2 Table 3: ASPP on VGG-16, val mean IOU before and after the CRF.
    **{
        f"deeplabv2.table3.{key}.{when}": Fact(
            miou, "deeplabv2", "Table 3", f"PASCAL VOC 2012 val, mean IOU %, VGG-16, {name}, {when} CRF"
        )
        for key, name, before, after in (
            ("largefov", "LargeFOV (one branch, r = 12)", 65.76, 69.84),
            ("aspp_s", "ASPP-S (r = 2, 4, 8, 12)", 66.98, 69.73),
            ("aspp_l", "ASPP-L (r = 6, 12, 18, 24)", 68.96, 71.57),
        )
        for when, miou in (("before", before), ("after", after))
    },
    "deeplabv2_release.resnet_aspp_rates": Fact(
        "6, 12, 18, 24",
        "deeplabv2_release",
        "fc1_voc12_c0 … fc1_voc12_c3 → fc1_voc12",
        "ResNet-101 ASPP: four 3×3 atrous convolutions from res5c straight to the class scores, added",
    ),
    "deeplabv1.test_miou": Fact(
        71.6, "deeplabv1", "Abstract", "PASCAL VOC 2012 test, mean IOU %, the paper's best model", decimals=1
    ),
    "deeplabv2.test_miou": Fact(
        79.7, "deeplabv2", "Table 5", "PASCAL VOC 2012 test, mIOU %, DeepLab-CRF (ResNet-101)", decimals=1
    ),
    "deeplabv3.table7.test_miou": Fact(
        85.7,
        "deeplabv3",
        "Table 7",
        "PASCAL VOC 2012 test, mIOU %, DeepLabv3 (ResNet-101, no JFT), no DenseCRF",
        decimals=1,
    ),
    # pydensecrf's README example settings: the starting values of dense_crf and of the lesson's sliders.
    "pydensecrf.readme.sxy_gaussian": Fact(3, "pydensecrf", "README", "addPairwiseGaussian(sxy=…): θγ, pixels"),
    "pydensecrf.readme.compat_gaussian": Fact(3, "pydensecrf", "README", "addPairwiseGaussian(compat=…): w₂"),
    "pydensecrf.readme.sxy_bilateral": Fact(80, "pydensecrf", "README", "addPairwiseBilateral(sxy=…): θα, pixels"),
    "pydensecrf.readme.srgb_bilateral": Fact(13, "pydensecrf", "README", "addPairwiseBilateral(srgb=…): θβ"),
    "pydensecrf.readme.compat_bilateral": Fact(10, "pydensecrf", "README", "addPairwiseBilateral(compat=…): w₁"),
}


@dataclass(frozen=True)
class FactTable:
    """Registered facts laid out as a paper's table: each row is its setting's cells and one fact key.

    The cells hold only numbers and marks (the same in every language); the headers are catalogue keys.
    Prose writes `[[table:KEY]]` and `deeplab_core.i18n` renders it as a Markdown table in the reader's language.
    """

    columns: tuple[str, ...]  # catalogue keys of the headers: one per setting cell, then one per value
    rows: tuple[tuple[tuple[str, ...], str | tuple[str, ...]], ...]  # ((setting cells...), fact key(s))

    def keys(self, row: int) -> tuple[str, ...]:
        """The fact keys of one row, one per value column."""
        keys = self.rows[row][1]
        return (keys,) if isinstance(keys, str) else keys


_T5 = ("output_stride.paper_table.multi_grid", "output_stride.paper_table.aspp", "output_stride.paper_table.pooling")
TABLES: dict[str, FactTable] = {
    "deeplabv3.table1": FactTable(
        ("output_stride.paper_table.os", "output_stride.paper_table.miou"),
        tuple(((str(os),), f"deeplabv3.table1.os{os}") for os in (8, 16, 32, 64, 128, 256)),
    ),
    "deeplabv3.table5": FactTable(
        (*_T5, "output_stride.paper_table.miou"),
        (
            (("(1, 1, 1)", "(6, 12, 18)", ""), "deeplabv3.table5.mg111"),
            (("(1, 2, 1)", "(6, 12, 18)", ""), "deeplabv3.table5.mg121"),
            (("(1, 2, 4)", "(6, 12, 18)", ""), "deeplabv3.table5.mg124"),
            (("(1, 2, 4)", "(6, 12, 18, 24)", ""), "deeplabv3.table5.mg124_rate24"),
            (("(1, 2, 4)", "(6, 12, 18)", "✓"), "deeplabv3.table5.mg124_image_pooling"),
        ),
    ),
    "deeplabv2.table3": FactTable(
        ("deeplab_v1_v2.paper_table.method", "deeplab_v1_v2.paper_table.before", "deeplab_v1_v2.paper_table.after"),
        tuple(
            ((name,), (f"deeplabv2.table3.{key}.before", f"deeplabv2.table3.{key}.after"))
            for key, name in (("largefov", "LargeFOV"), ("aspp_s", "ASPP-S"), ("aspp_l", "ASPP-L"))
        ),
    ),
}

PLACEHOLDER = re.compile(r"\[\[fact:([\w.]+)\]\]")
TABLE_PLACEHOLDER = re.compile(r"\[\[table:([\w.]+)\]\]")


def table_markdown(key: str, header: Callable[[str], str]) -> str:
    """The Markdown table of TABLES[key], its headers looked up with `header` (a catalogue lookup)."""
    table = TABLES[key]
    lines = ["| " + " | ".join(header(column) for column in table.columns) + " |", "|---" * len(table.columns) + "|"]
    for row, (cells, _) in enumerate(table.rows):
        lines.append("| " + " | ".join((*cells, *(fact(k).formatted() for k in table.keys(row)))) + " |")
    return "\n".join(lines)


def fact(key: str) -> Fact:
    """The registered fact; KeyError for an unknown key (a typo in a placeholder is a bug, never a blank)."""
    return FACTS[key]


def expand(template: str) -> str:
    """`template` with every `[[fact:KEY]]` replaced by that fact's printed value."""
    return PLACEHOLDER.sub(lambda match: fact(match.group(1)).formatted(), template)


def source(key: str) -> str:
    """Where a fact comes from, in one line: paper, place, setting."""
    f = fact(key)
    paper = PAPERS[f.paper]
    return f"{paper.authors}, “{paper.title}”, {paper.venue}, {f.where}: {f.setting}"
