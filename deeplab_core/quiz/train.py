"""Questions for the train lesson, answered by the lab's own code and results: the receptive field of a tiny
DeepLab's backbone (read back from the module as ConvLayers and run through the course's recurrence), the side
of the score map a variant upsamples to the scene (the module's own output shape, on the meta device), and
whether one variant beats another by more than the spread over seeds in the shipped results
(deeplab_core.nets.lab.results.compare: a difference counts only above the seed-to-seed noise)."""

from __future__ import annotations

import random
from functools import lru_cache

import torch

from deeplab_core.maths.dilation import conv_output_size
from deeplab_core.maths.receptive_field import receptive_field
from deeplab_core.nets.lab.results import QUESTIONS, ResultsFile, compare, load, score_named, summarise
from deeplab_core.nets.lab.scenes import SCENES
from deeplab_core.nets.lab.variants import STEM_WIDTHS, TinyDeepLab, VariantSpec, conv_layers
from deeplab_core.quiz import Question, Term

LESSON = "train"
DEEP_RATES = (1, 2, 3, 4)
OUTCOMES = ("beats", "ties", "loses")


def tiny_deeplab(strides: tuple[int, ...], rates: tuple[int, ...]) -> TinyDeepLab:
    """A lab network with these deep strides and rates, on the meta device: shapes only, no weights drawn."""
    with torch.device("meta"):
        return TinyDeepLab(VariantSpec("quiz", strides, rates))


def _field(rng: random.Random) -> Question:
    rates = tuple(rng.choice(DEEP_RATES) for _ in range(4))
    layers = conv_layers(tiny_deeplab((1, 1, 1, 1), rates).backbone)
    fields = receptive_field(layers)
    stem = fields[len(STEM_WIDTHS) - 1]  # after the stem: cells `jump` pixels apart, each seeing `size` pixels
    adds = [(layer.effective_kernel_size - 1) * stem.jump for layer in layers[len(STEM_WIDTHS) :]]
    return Question(
        LESSON,
        "field",
        fields[-1].size,
        values={
            "rates": ", ".join(map(str, rates)),
            "stem": stem.size,
            "jump": stem.jump,
            "adds": " + ".join(map(str, adds)),
        },
    )


def _score_map(rng: random.Random) -> Question:
    strides = rng.choice(((1, 1, 1, 1), (2, 1, 1, 1), (1, 1, 2, 1), (2, 1, 2, 1), (1, 2, 1, 2)))
    model = tiny_deeplab(strides, (1, 1, 1, 1))
    size = SCENES.size
    with torch.no_grad():
        scores = model.classifier(model.head(model.backbone(torch.zeros(1, 3, size, size, device="meta"))))
    side = int(scores.shape[-1])  # (1, classes, side, side): what is upsampled to the scene
    chain = [size]
    for layer in conv_layers(model.backbone):
        chain.append(conv_output_size(chain[-1], layer.kernel_size, stride=layer.stride, padding=layer.padding,
                                      dilation=layer.dilation))  # fmt: skip
    shown = [chain[0]] + [n for before, n in zip(chain, chain[1:], strict=False) if n != before]
    return Question(
        LESSON,
        "score_map",
        side,
        values={"size": size, "strides": ", ".join(map(str, strides)), "chain": " → ".join(map(str, shown)),
                "os": size // side},
    )  # fmt: skip


@lru_cache(maxsize=1)
def shipped() -> ResultsFile | None:
    """The shipped results, read once; None when the file is missing or unreadable (no question then)."""
    try:
        return load()
    except (OSError, ValueError, KeyError):
        return None


def _verdict(rng: random.Random) -> Question | None:
    results = shipped()
    if results is None:
        return None
    x, y, name = rng.choice(QUESTIONS)
    runs = list(results.runs)
    verdict = compare(runs, x, y, score_named(name))
    seeds = {r.seed for r in runs if r.variant == x} & {r.seed for r in runs if r.variant == y}
    both = [r for r in runs if r.seed in seeds]
    means = {v: 100 * summarise(both, v, score_named(name)).mean for v in (x, y)}
    return Question(
        LESSON,
        "verdict",
        verdict.outcome,
        kind="choice",
        options=OUTCOMES,
        labelled=True,
        values={
            "x": Term(f"train.variant_short.{x}"),
            "y": Term(f"train.variant_short.{y}"),
            "score": "mIoU" if name == "miou" else Term(f"train.class.{name}"),
            "seeds": len(seeds),
            "mean_x": f"{means[x]:.1f}",
            "mean_y": f"{means[y]:.1f}",
            "margin": f"{abs(100 * verdict.margin):.1f}",
            "noise": f"{100 * verdict.noise:.1f}",
        },
    )


def questions(rng: random.Random) -> list[Question]:
    drawn = [_field(rng), _score_map(rng), _verdict(rng)]
    return [q for q in drawn if q is not None]
