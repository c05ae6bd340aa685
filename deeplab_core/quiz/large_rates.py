"""Questions for the large-rates lesson (DeepLabv3 §3.3, Fig. 4): the share of positions that keep all 9
weights of a 3×3 filter at rate r with padding r, the valid taps at one position, and the rate at which the
filter degenerates to its centre tap. Answered by deeplab_core.maths.valid_weights."""

from __future__ import annotations

import random

from deeplab_core.config import CROP_SIZE, DEEPLAB_OUTPUT_STRIDES, LARGE_RATES_OUTPUT_STRIDES, feature_size
from deeplab_core.maths.valid_weights import (
    axis_tap_validity,
    tap_validity_at,
    valid_weight_curves,
    valid_weight_fractions,
)
from deeplab_core.quiz import Question, Term

LESSON = "large_rates"


def _share(rng: random.Random) -> Question:
    os_ = rng.choice(DEEPLAB_OUTPUT_STRIDES)  # the page's 33×33 and 65×65 maps
    size = feature_size(CROP_SIZE, os_)
    rate = rng.randint(1, size // 2)
    inner = int(axis_tap_validity(size, rate).all(axis=1).sum())  # rows whose three taps all land on the map
    return Question(
        LESSON,
        "share",
        100 * valid_weight_fractions(size, rate).get(9, 0.0),
        values={"size": size, "rate": rate, "inner": inner, "os": os_},
        tolerance=2.0,
        digits=1,
        figure="large_rates.per_position",
    )


def _position(rng: random.Random) -> Question:
    size = feature_size(CROP_SIZE, 8)
    rate = rng.randint(1, 2 * size)
    where = rng.choice(("centre", "edge", "corner"))
    middle = size // 2
    row, col = {"centre": (middle, middle), "edge": (middle, 0), "corner": (0, 0)}[where]
    per_axis = axis_tap_validity(size, rate)  # (n, 3)
    return Question(
        LESSON,
        "position",
        int(tap_validity_at(size, rate, row, col).sum()),
        values={
            "size": size,
            "rate": rate,
            "where": Term(f"large_rates.position_name.{where}"),
            "row": row,
            "col": col,
            "rows": int(per_axis[row].sum()),
            "cols": int(per_axis[col].sum()),
        },
        figure="large_rates.per_position",
    )


def _degenerate(rng: random.Random) -> Question:
    size = feature_size(CROP_SIZE, rng.choice(LARGE_RATES_OUTPUT_STRIDES))  # any of the page's maps
    rate = valid_weight_curves(size, range(1, 2 * size + 1)).first_rate_all(1)
    assert rate is not None  # at rate ≥ size every off-centre tap is off the map
    return Question(LESSON, "degenerate", rate, values={"size": size})


def questions(rng: random.Random) -> list[Question]:
    return [_share(rng), _position(rng), _degenerate(rng)]
