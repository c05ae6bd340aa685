"""Questions for "where does this pixel look?", all answerable without trained weights: how much one ASPP branch
adds to a class score's theoretical receptive field, whether output stride 16 or 8 gives the wider field, and
whether anything can reach beyond the box with image pooling off. Every answer is read from the real network's
modules (on the meta device) by the lesson's own functions (`deeplab_core.nets.field_box`).

How the field is shared between the branches needs a trained network on a photo: the page measures it there, and a
question about it would only be fair next to those results, so none is asked here."""

from __future__ import annotations

import random

from deeplab_core.config import DEEPLAB_OUTPUT_STRIDES, MODEL_NAMES, RESNETS
from deeplab_core.maths.receptive_field import receptive_field
from deeplab_core.nets.field_box import aspp_rates, backbone_path, global_pooling, logit_field, wiring
from deeplab_core.nets.inspection import aspp_layers
from deeplab_core.quiz import Question, Term

LESSON = "pixel_field"
PREFIX = "pixel_field.quiz"  # the lesson keeps its questions in its own catalogue


def _name(name: str) -> Term:
    return Term(f"{PREFIX}.name.{name}")


def branch_adds(name: str, output_stride: int, rate: int) -> int:
    """Input pixels the ASPP branch at `rate` adds to the side of the backbone's receptive field."""
    net = wiring(name, output_stride)
    path = backbone_path(net)
    branch = next(named.layer for named in aspp_layers(net) if named.layer.dilation == rate)
    return receptive_field([*path, branch])[-1].size - receptive_field(path)[-1].size


def _adds(rng: random.Random) -> Question:
    name, output_stride = rng.choice(RESNETS), rng.choice(DEEPLAB_OUTPUT_STRIDES)
    rate = rng.choice(aspp_rates(wiring(name, output_stride)))
    return Question(
        LESSON,
        "adds",
        branch_adds(name, output_stride, rate),
        values={"name": _name(name), "os": output_stride, "rate": rate},
        prefix=PREFIX,
    )


def _stride(rng: random.Random) -> Question:
    name = rng.choice(RESNETS)
    coarse, fine = DEEPLAB_OUTPUT_STRIDES
    wide, narrow = (logit_field(wiring(name, os_)).size for os_ in (coarse, fine))
    answer = "same" if wide == narrow else str(coarse if wide > narrow else fine)
    return Question(
        LESSON,
        "stride",
        answer,
        kind="choice",
        values={"name": _name(name), "coarse": coarse, "fine": fine, "wide": f"{wide:,}", "narrow": f"{narrow:,}"},
        options=(str(coarse), str(fine), "same"),
        labelled=True,
        prefix=PREFIX,
    )


def _outside(rng: random.Random) -> Question:
    name = rng.choice(MODEL_NAMES)
    gated = global_pooling(wiring(name))  # a global average inside the backbone: the only other way out
    reason = Term(f"{PREFIX}.outside.reason.{'gates' if gated else 'convolutions'}")
    return Question(
        LESSON,
        "outside",
        "yes" if gated else "no",
        kind="choice",
        values={"name": _name(name), "reason": reason},
        options=("yes", "no"),
        labelled=True,
        prefix=PREFIX,
    )


def questions(rng: random.Random) -> list[Question]:
    return [_adds(rng), _stride(rng), _outside(rng)]
