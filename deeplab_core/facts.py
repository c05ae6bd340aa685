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
    "pydensecrf": Paper(
        "L. Beyer et al. (Python wrapper of P. Krähenbühl's code)",
        "PyDenseCRF",
        "github.com/lucasb-eyer/pydensecrf, README (Usage), as shipped in pydensecrf2 1.1 on PyPI",
    ),
}

_V3_MG = "PASCAL VOC 2012 val, mIoU %, ResNet-101, output stride 16"
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
    "deeplabv3.appendix_c.eval_output_stride": Fact(
        4, "deeplabv3", "Appendix C", "Cityscapes val, inference with 6 scales, on CPUs; ASPP rates not stated"
    ),
    # Receptive-field lesson: hybrid dilated convolution (HDC) rates, the paper's example and the released code's.
    "wang2018.hdc_example": Fact("1, 2, 5", "wang2018", "§3.2", "worked example of one HDC group of 3×3 layers"),
    "wang2018_code.res4_group": Fact(
        "1, 2, 5, 9", "wang2018_code", "res4", "ResNet-101 res4: its 23 units cycle through these rates, from 2"
    ),
    "wang2018_code.res5_group": Fact("5, 9, 17", "wang2018_code", "res5", "ResNet-101 res5, its three units"),
    # DeepLab v1/v2 lesson. v1 Table 2 ("Effect of Field-Of-View"): fc6 kernel size and input stride (atrous rate),
    # its "receptive field" column and parameter counts (PASCAL VOC 2012, VGG-16).
    **{
        f"deeplabv1.table2.{key}.rf": Fact(rf, "deeplabv1", "Table 2", f"'receptive field' column, {name}: {fc6}")
        for key, name, fc6, rf in (
            ("7x7_r4", "DeepLab-CRF-7x7", "fc6 7×7, input stride 4", 224),
            ("4x4_r4", "DeepLab-CRF", "fc6 4×4, input stride 4", 128),
            ("4x4_r8", "DeepLab-CRF-4x4", "fc6 4×4, input stride 8", 224),
            ("largefov", "DeepLab-CRF-LargeFOV", "fc6 3×3, input stride 12, 1024 channels", 224),
        )
    },
    **{
        f"deeplabv1.table2.{key}.params": Fact(
            params, "deeplabv1", "Table 2", f"'# params', millions, {name}", decimals=1
        )
        for key, name, params in (
            ("7x7_r4", "DeepLab-CRF-7x7", 134.3),
            ("4x4_r4", "DeepLab-CRF", 65.1),
            ("4x4_r8", "DeepLab-CRF-4x4", 65.1),
            ("largefov", "DeepLab-CRF-LargeFOV", 20.5),
        )
    },
    "deeplabv1.test_miou": Fact(
        71.6, "deeplabv1", "Abstract", "PASCAL VOC 2012 test, mean IOU %, the paper's best model", decimals=1
    ),
    "deeplabv2.test_miou": Fact(
        79.7, "deeplabv2", "Table 5", "PASCAL VOC 2012 test, mIOU %, DeepLab-CRF (ResNet-101)", decimals=1
    ),
    "deeplabv3.table7.test_miou": Fact(
        85.7, "deeplabv3", "Table 7", "PASCAL VOC 2012 test, mIOU %, DeepLabv3 (ResNet-101), no DenseCRF", decimals=1
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

    columns: tuple[str, ...]  # catalogue keys of the headers: one per setting cell, then the value's header
    rows: tuple[tuple[tuple[str, ...], str], ...]  # ((setting cells...), fact key)


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
}

PLACEHOLDER = re.compile(r"\[\[fact:([\w.]+)\]\]")
TABLE_PLACEHOLDER = re.compile(r"\[\[table:([\w.]+)\]\]")


def table_markdown(key: str, header: Callable[[str], str]) -> str:
    """The Markdown table of TABLES[key], its headers looked up with `header` (a catalogue lookup)."""
    table = TABLES[key]
    lines = ["| " + " | ".join(header(column) for column in table.columns) + " |", "|---" * len(table.columns) + "|"]
    lines += ["| " + " | ".join((*cells, fact(k).formatted())) + " |" for cells, k in table.rows]
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
