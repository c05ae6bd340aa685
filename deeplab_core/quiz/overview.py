"""Questions for the overview: how small a ResNet's last map is at output stride 32, 16 or 8 (DeepLabv3 §3.1),
and how many of its cells an object spans. Answered by deeplab_core.maths.resolution."""

from __future__ import annotations

import random

from deeplab_core.config import OBJECT_WIDTHS, OUTPUT_STRIDES
from deeplab_core.maths.resolution import object_cells, stage_sizes
from deeplab_core.quiz import Question

LESSON = "overview"
SIZES = (257, 513, 769)
WIDTHS = tuple(w for w in OBJECT_WIDTHS if w <= min(SIZES))  # the page's table lists them at every size drawn here


def _side(rng: random.Random) -> Question:
    size, os_ = rng.randint(100, 1000), rng.choice(OUTPUT_STRIDES)
    sizes = stage_sizes(size, os_)
    return Question(
        LESSON,
        "side",
        sizes[-1].size,
        values={
            "size": size,
            "os": os_,
            "chain": " → ".join(str(s) for s in dict.fromkeys([size] + [s.size for s in sizes])),
        },
        figure="overview.resolution_heading",
    )


def _cells(rng: random.Random) -> Question:
    size, width, os_ = rng.choice(SIZES), rng.choice(WIDTHS), rng.choice(OUTPUT_STRIDES)
    cells = object_cells(width, size, os_)
    return Question(
        LESSON,
        "cells",
        cells,
        values={"size": size, "width": width, "os": os_, "side": stage_sizes(size, os_)[-1].size},
        tolerance=round(max(0.1, 0.05 * cells), 2),
        digits=1,
        figure="overview.scale_heading",
    )


def questions(rng: random.Random) -> list[Question]:
    return [_side(rng), _cells(rng)]
