"""The paper-facts registry: every number the course quotes from a paper, once, with where it comes from.

Prose and UI strings never type such a number. They write a placeholder `[[fact:KEY]]`, which `deeplab_core.i18n`
replaces with the registered value in both languages, so English and Chinese always quote the same figure, and a
correction made here reaches every page. A number the app can compute is computed instead, never registered.
"""

from __future__ import annotations

import re
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
}

PLACEHOLDER = re.compile(r"\[\[fact:([\w.]+)\]\]")


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
