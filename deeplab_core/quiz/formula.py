"""Questions for the dilation-formula lesson: k' = k + (k − 1)(d − 1), o = ⌊(i + 2p − k')/s⌋ + 1 and the
size-keeping padding p = d(k − 1)/2 (Chen et al., DeepLab, TPAMI 2017; Dumoulin & Visin 2016), each answered
by deeplab_core.maths.dilation. Numbers stay inside the page's slider ranges, so the page can confirm them."""

from __future__ import annotations

import random

from deeplab_core.maths.dilation import conv_output_size, effective_kernel_size, same_padding
from deeplab_core.quiz import Question

LESSON = "formula"


def _effective(rng: random.Random) -> Question:
    k, d = rng.choice((3, 5, 7)), rng.randint(2, 8)
    return Question(
        LESSON,
        "k_eff",
        effective_kernel_size(k, d),
        values={"k": k, "d": d, "holes": d - 1, "gaps": k - 1},
        figure="formula.kernel_heading",
    )


def _output(rng: random.Random) -> Question:
    while True:  # draw until the kernel fits: an impossible convolution is a question for another day
        i, k, d = rng.randint(9, 32), rng.choice((3, 5)), rng.randint(1, 4)
        s, p = rng.choice((1, 2, 2, 3)), rng.randint(0, 4)
        try:
            o = conv_output_size(i, k, stride=s, padding=p, dilation=d)
        except ValueError:
            continue
        k_eff = effective_kernel_size(k, d)
        return Question(
            LESSON,
            "output",
            o,
            values={"i": i, "k": k, "d": d, "s": s, "p": p, "k_eff": k_eff, "top": i + 2 * p - k_eff},
            figure="formula.derivation",
        )


def _padding(rng: random.Random) -> Question:
    k, d = rng.choice((3, 3, 5)), rng.randint(1, 8)
    p = same_padding(k, d)
    assert p is not None  # an odd k gives an odd k', so a symmetric padding exists
    return Question(
        LESSON,
        "same_padding",
        p,
        values={"k": k, "d": d, "k_eff": effective_kernel_size(k, d)},
        figure="formula.derivation",
    )


def questions(rng: random.Random) -> list[Question]:
    return [_effective(rng), _output(rng), _padding(rng)]
