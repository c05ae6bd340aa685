"""Questions for the receptive-field lesson: the size of a stack's receptive field (the recurrence
r_l = r_{l−1} + (k'_l − 1) j_{l−1}; Araujo et al., Distill 2019), and which of three rate sets grids, i.e. leaves
pixels of the window that no path reaches (Wang et al., WACV 2018). Answered by deeplab_core.maths.receptive_field."""

from __future__ import annotations

import random

from deeplab_core.maths.receptive_field import coverage, holes, receptive_field, same_conv
from deeplab_core.quiz import Question

LESSON = "receptive_field"
RATES = (1, 2, 3, 4, 5)


def _stack(rates: tuple[int, ...]):
    return [same_conv(3, r) for r in rates]


def _label(rates: tuple[int, ...]) -> str:
    return ", ".join(map(str, rates))


def _size(rng: random.Random) -> Question:
    rates = tuple(rng.choice(RATES[:4]) for _ in range(3))
    layers = _stack(rates)
    steps = " + ".join(str(layer.effective_kernel_size - 1) for layer in layers)  # k' − 1 per layer, jump 1
    return Question(
        LESSON,
        "size",
        receptive_field(layers)[-1].size,
        values={"rates": _label(rates), "steps": steps},
        figure="receptive_field.animation_heading",
    )


def _grids(rng: random.Random) -> Question:
    """Three ascending rate triples, exactly one of which leaves holes."""
    gridding: tuple[int, ...] | None = None
    clean: list[tuple[int, ...]] = []
    while gridding is None or len(clean) < 2:
        rates = tuple(sorted(rng.choice(RATES) for _ in range(3)))
        if len(holes(_stack(rates))):
            gridding = gridding or rates
        elif rates not in clean:
            clean.append(rates)
    options = [gridding, *clean]
    rng.shuffle(options)
    paths = coverage(_stack(gridding))
    return Question(
        LESSON,
        "grids",
        _label(gridding),
        kind="choice",
        options=tuple(_label(o) for o in options),
        values={"rates": _label(gridding), "holes": int((paths == 0).sum()), "span": len(paths)},
    )


def questions(rng: random.Random) -> list[Question]:
    return [_size(rng), _grids(rng)]
