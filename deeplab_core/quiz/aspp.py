"""Questions for the ASPP lesson, all answerable without trained weights: the span of a branch's dilated 3×3
kernel, the rate a branch takes at another output stride (DeepLabv3 §3.3: rates double when the stride halves),
and the channels that enter the projection, read from a real (randomly initialised) ASPP module.

Which branch carries most of the output needs a trained network on a photo: the page measures it there, and
a question about it would only be fair next to those results, so none is asked here."""

from __future__ import annotations

import random
from itertools import permutations

from torch import nn

from deeplab_core.config import ASPP_RATES, DEEPLAB_OUTPUT_STRIDES
from deeplab_core.maths.dilation import effective_kernel_size
from deeplab_core.nets.aspp import ASPP
from deeplab_core.quiz import Question

LESSON = "aspp"
DEPTHS = (64, 128, 256)


def _span(rng: random.Random) -> Question:
    os_ = rng.choice(DEEPLAB_OUTPUT_STRIDES)
    rate = rng.choice(ASPP_RATES[os_])
    return Question(LESSON, "span", effective_kernel_size(3, rate), values={"os": os_, "rate": rate})


def _rate_at(rng: random.Random) -> Question:
    branch = rng.randrange(3)
    source, target = rng.choice(list(permutations(DEEPLAB_OUTPUT_STRIDES, 2)))
    return Question(
        LESSON,
        "rate_at",
        ASPP_RATES[target][branch],
        values={"source": source, "target": target, "rate": ASPP_RATES[source][branch], "n": branch + 1},
    )


def _channels(rng: random.Random) -> Question:
    count, depth = rng.randint(2, 4), rng.choice(DEPTHS)
    rates = tuple(sorted(rng.sample(range(2, 25), count)))
    module = ASPP(8, rates, depth)  # a tiny input width: only the shapes matter
    projection = module.project[0]  # the 1×1 convolution that reads the concatenation
    assert isinstance(projection, nn.Conv2d)
    return Question(
        LESSON,
        "channels",
        projection.in_channels,
        values={"rates": ", ".join(map(str, rates)), "depth": depth, "branches": len(module.convs)},
    )


def questions(rng: random.Random) -> list[Question]:
    return [_span(rng), _rate_at(rng), _channels(rng)]
