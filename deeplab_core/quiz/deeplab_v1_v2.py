"""Questions for the DeepLab v1 and v2 lesson, each answered by the lesson's own functions on the built modules:
fc6's field of view in the paper's convention (`v1_inspect.paper_fov`), the side of the fc8 score map (forward
hooks, `v1_inspect.stage_sizes`), which v2 head has more parameters (the built ASPP-L and ASPP-S), and what a
mean-field step does with no pairwise term (`crf_trace` on the constructed example).

Every network is built on the meta device (shapes only), once per setting: a question costs no real computation
beyond a CRF on a small scene."""

from __future__ import annotations

import functools
import random

from deeplab_core.maths.crf import CrfSettings, crf_trace
from deeplab_core.maths.crf_scene import constructed_scene
from deeplab_core.maths.dilation import effective_kernel_size
from deeplab_core.nets import v1_inspect
from deeplab_core.nets.deeplab_v1 import OUTPUT_STRIDE, V1Variant, build_v1
from deeplab_core.nets.deeplab_v2 import ASPP_RATES, build_v2
from deeplab_core.quiz import Question

LESSON = "deeplab_v1_v2"
PREFIX = "deeplab_v1_v2.quiz"  # the lesson keeps its questions in its own catalogue
KERNELS = (3, 4, 5, 7)
RATES = (2, 4, 6, 8, 12)
QUIZ_SCENE = (60, 80)  # a small constructed scene: the CRF answers in milliseconds


@functools.lru_cache(maxsize=32)
def fc6_fov(kernel_size: int, rate: int) -> int:
    """fc6's field of view in the paper's convention, read from a DeepLab v1 built with this fc6."""
    net = build_v1(V1Variant("quiz", "quiz", kernel_size, rate, 1024), device="meta").net
    return v1_inspect.paper_fov(net)


@functools.lru_cache(maxsize=32)
def score_side(crop: int) -> int:
    """The side of DeepLab-CRF-LargeFOV's fc8 map for a crop × crop input, as a forward hook sees it."""
    return v1_inspect.stage_sizes(build_v1("largefov", device="meta").net, crop)[-1].height


@functools.lru_cache(maxsize=2)
def head_parameters() -> dict[str, int]:
    return {name: v1_inspect.parameters(build_v2(name).aspp) for name in ASPP_RATES}


@functools.lru_cache(maxsize=8)
def relabelled_without_pairwise(step: int) -> int:
    """Pixels mean-field step `step` relabels on a constructed scene with both kernel weights at 0."""
    scene = constructed_scene(*QUIZ_SCENE)
    settings = CrfSettings(iterations=step, compat_gaussian=0.0, compat_bilateral=0.0)
    return crf_trace(scene.image, scene.probabilities, settings).changed[step]


def _fov(rng: random.Random) -> Question:
    k, r = rng.choice(KERNELS), rng.choice(RATES)
    span = effective_kernel_size(k, r)
    return Question(
        LESSON, "fov", fc6_fov(k, r), values={"k": k, "r": r, "span": span, "os": OUTPUT_STRIDE}, prefix=PREFIX
    )


def _score_map(rng: random.Random) -> Question:
    crop = rng.randrange(161, 514)
    return Question(LESSON, "score_map", score_side(crop), values={"crop": crop, "os": OUTPUT_STRIDE}, prefix=PREFIX)


def _heads(rng: random.Random) -> Question:
    params = head_parameters()
    large, small = params["ASPP-L"], params["ASPP-S"]
    answer = "same" if large == small else ("aspp_l" if large > small else "aspp_s")
    options = ["aspp_l", "aspp_s", "same"]
    rng.shuffle(options)
    return Question(
        LESSON,
        "heads",
        answer,
        kind="choice",
        values={
            "large": ", ".join(map(str, ASPP_RATES["ASPP-L"])),
            "small": ", ".join(map(str, ASPP_RATES["ASPP-S"])),
            "params": f"{large / 1e6:.1f}",
        },
        options=tuple(options),
        labelled=True,
        prefix=PREFIX,
    )


def _no_pairwise(rng: random.Random) -> Question:
    step = rng.randint(1, 5)
    return Question(LESSON, "no_pairwise", relabelled_without_pairwise(step), values={"step": step}, prefix=PREFIX)


def questions(rng: random.Random) -> list[Question]:
    return [_fov(rng), _score_map(rng), _heads(rng), _no_pairwise(rng)]
