"""Questions for the output-stride lesson: the final map's side for a DeepLab crop (DeepLabv3 §3.1, §4), how
many more positions output stride 8 computes than 16, and the layer4 rates that multi-grid gives (§3.2).
Answered by deeplab_core.config.feature_size, deeplab_core.maths.resolution and deeplab_core.nets.wiring."""

from __future__ import annotations

import random

from deeplab_core.config import DEEPLAB_OUTPUT_STRIDES, NO_MULTI_GRID, OUTPUT_STRIDES, UNIT_RATES, feature_size
from deeplab_core.maths.resolution import final_size
from deeplab_core.nets.wiring import STAGE_RATES, stage_rates
from deeplab_core.quiz import Question

LESSON = "output_stride"
CROPS = (321, 385, 449, 513)  # k·32 + 1: every output stride divides them evenly (DeepLab's crop rule)
LAYER4_BLOCKS, LAYER3_BLOCKS = 3, 6  # ResNet-50


def _side(rng: random.Random) -> Question:
    crop, os_ = rng.choice(CROPS), rng.choice(OUTPUT_STRIDES)
    side = feature_size(crop, os_)
    if side != final_size(crop, os_):  # the crop rule and the stage-by-stage arithmetic must agree
        raise AssertionError(f"feature_size({crop}, {os_}) = {side} but the stages give {final_size(crop, os_)}")
    return Question(LESSON, "side", side, values={"crop": crop, "os": os_})


def _positions(rng: random.Random) -> Question:
    crop = rng.choice(CROPS)
    fine, coarse = feature_size(crop, 8), feature_size(crop, 16)
    return Question(
        LESSON,
        "positions",
        fine**2 / coarse**2,
        values={"crop": crop, "fine": fine, "coarse": coarse, "fine2": fine**2, "coarse2": coarse**2},
        tolerance=0.1,
        digits=2,
    )


def _multi_grid(rng: random.Random) -> Question:
    os_ = rng.choice(DEEPLAB_OUTPUT_STRIDES)  # where layer4 is atrous
    units: tuple[int, ...] = NO_MULTI_GRID
    while units == NO_MULTI_GRID:  # where torchvision's first-block rule applies instead
        units = tuple(rng.choice(UNIT_RATES) for _ in range(LAYER4_BLOCKS))
    block = rng.randint(1, LAYER4_BLOCKS)
    rates = stage_rates(os_, units, LAYER3_BLOCKS, LAYER4_BLOCKS)[1]
    return Question(
        LESSON,
        "multi_grid",
        rates[block - 1],
        values={
            "os": os_,
            "units": ", ".join(map(str, units)),
            "block": block,
            "stage_rate": STAGE_RATES[os_][1],
            "rates": ", ".join(map(str, rates)),
        },
    )


def questions(rng: random.Random) -> list[Question]:
    return [_side(rng), _positions(rng), _multi_grid(rng)]
