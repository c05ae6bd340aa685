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
