"""Predict-then-reveal questions: every answer equals what PyTorch (or a brute-force count) gives for the drawn
numbers, every string renders in both languages, and the checker accepts the answer and rejects others."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core import quiz
from deeplab_core.config import ASPP_RATES, feature_size
from deeplab_core.i18n import LANGUAGES, catalogue
from deeplab_core.maths.valid_weights import torch_valid_taps
from deeplab_core.nets.aspp import ASPP
from deeplab_core.nets.inspection import dilation_table
from deeplab_core.nets.model import architecture
from deeplab_core.quiz import Question, check, draw, explanation, prompt, shown_answer

LESSONS = ("overview", "formula", "receptive_field", "output_stride", "aspp", "large_rates", "segment")
SEEDS = range(6)


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def by_key(lesson: str, seed: int) -> dict[str, Question]:
    return {q.key: q for q in draw(lesson, seed)}


def resnet_side(size: int, output_stride: int) -> int:
    """A thin tensor through ResNet's stride-2 layers (7×7/2 conv, 3×3/2 pool, 3×3/2 convs) until `output_stride`."""
    x = torch.zeros(1, 1, size, 1)  # (N, C, H, 1)
    x = F.conv2d(x, torch.zeros(1, 1, 7, 1), stride=(2, 1), padding=(3, 0))
    x = F.max_pool2d(x, (3, 1), stride=(2, 1), padding=(1, 0))
    stride = 4
    while stride < output_stride:
        x = F.conv2d(x, torch.zeros(1, 1, 3, 1), stride=(2, 1), padding=(1, 0))
        stride *= 2
    return x.shape[2]


def field_1d(rates: list[int]) -> torch.Tensor:
    """Autograd: d(centre output)/d(input) through 3-tap convolutions of ones at these rates (1-D)."""
    span = 1 + sum(2 * r for r in rates) + 8
    x = torch.zeros(1, 1, span, requires_grad=True)  # (N, C, L)
    y = x
    for r in rates:
        y = F.conv1d(y, torch.ones(1, 1, 3), dilation=r)
    y[0, 0, y.shape[2] // 2].backward()
    grad = x.grad[0, 0]
    reached = torch.nonzero(grad).flatten()
    return grad[reached.min() : reached.max() + 1]


def rates_of(label: str) -> list[int]:
    return [int(r) for r in label.split(", ")]


@pytest.mark.parametrize("seed", SEEDS)
def test_formula_answers_match_conv2d(seed):
    qs = by_key("formula", seed)
    v = qs["k_eff"].values
    taps = [j * v["d"] for j in range(v["k"])]  # tap offsets of a dilated kernel
    assert qs["k_eff"].answer == taps[-1] - taps[0] + 1
    v = qs["output"].values
    y = F.conv2d(
        torch.zeros(1, 1, v["i"], v["i"]),
        torch.zeros(1, 1, v["k"], v["k"]),
        stride=v["s"],
        padding=v["p"],
        dilation=v["d"],
    )
    assert qs["output"].answer == y.shape[-1]
    v, p = qs["same_padding"].values, qs["same_padding"].answer
    y = F.conv2d(torch.zeros(1, 1, 20, 20), torch.zeros(1, 1, v["k"], v["k"]), padding=p, dilation=v["d"])
    assert y.shape[-1] == 20


@pytest.mark.parametrize("seed", SEEDS)
def test_receptive_field_answers_match_autograd(seed):
    qs = by_key("receptive_field", seed)
    assert qs["size"].answer == len(field_1d(rates_of(qs["size"].values["rates"])))
    grids = qs["grids"]
    gridding = [o for o in grids.options if (field_1d(rates_of(o)) == 0).any()]
    assert gridding == [grids.answer]
    assert grids.values["holes"] == int((field_1d(rates_of(grids.answer)) == 0).sum())


@pytest.mark.parametrize("seed", SEEDS)
def test_resolution_answers_match_torch_layers(seed):
    overview, os_q = by_key("overview", seed), by_key("output_stride", seed)
    v = overview["side"].values
    assert overview["side"].answer == resnet_side(v["size"], v["os"])
    v = overview["cells"].values
    assert overview["cells"].answer == pytest.approx(v["width"] * resnet_side(v["size"], v["os"]) / v["size"])
    v = os_q["side"].values
    assert os_q["side"].answer == resnet_side(v["crop"], v["os"]) == feature_size(v["crop"], v["os"])
    v = os_q["positions"].values
    assert os_q["positions"].answer == pytest.approx((resnet_side(v["crop"], 8) / resnet_side(v["crop"], 16)) ** 2)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_multi_grid_answer_matches_the_rewired_resnet(seed):
    q = by_key("output_stride", seed)["multi_grid"]
    units = tuple(rates_of(q.values["units"]))
    rows = [r for r in dilation_table(architecture("resnet50", q.values["os"], units)) if r.stage == "layer4"]
    assert q.answer == rows[q.values["block"] - 1].dilation


@pytest.mark.parametrize("seed", SEEDS)
def test_aspp_answers_match_the_module(seed):
    qs = by_key("aspp", seed)
    v = qs["span"].values
    assert qs["span"].answer == 2 * v["rate"] + 1 and v["rate"] in ASPP_RATES[v["os"]]
    v = qs["rate_at"].values
    assert qs["rate_at"].answer * v["target"] == v["rate"] * v["source"]  # the same field of view in pixels
    v = qs["channels"].values
    module = ASPP(4, rates_of(v["rates"]), v["depth"]).eval()
    with torch.no_grad():
        concatenated = torch.cat(module.branches(torch.randn(1, 4, 9, 9)), dim=1)  # (1, C, 9, 9)
    assert qs["channels"].answer == concatenated.shape[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_large_rates_answers_match_conv2d(seed):
    qs = by_key("large_rates", seed)
    v = qs["share"].values
    counts, _ = torch_valid_taps(v["size"], v["rate"])
    assert qs["share"].answer == pytest.approx(100 * (counts == 9).mean())
    v = qs["position"].values
    counts, _ = torch_valid_taps(v["size"], v["rate"])
    assert qs["position"].answer == counts[v["row"], v["col"]]
    n = qs["degenerate"].values["size"]
    assert (torch_valid_taps(n, qs["degenerate"].answer)[0] == 1).all()
    assert not (torch_valid_taps(n, qs["degenerate"].answer - 1)[0] == 1).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_segment_answers_match_torchvision_resize(seed):
    qs = by_key("segment", seed)
    v = qs["long_side"].values
    resized = TF.resize(torch.zeros(1, v["height"], v["width"]), v["short"], antialias=False)  # (C, h, w)
    assert qs["long_side"].answer == max(resized.shape[1:])
    v = qs["feature_side"].values
    assert qs["feature_side"].answer == resnet_side(v["short"], v["os"])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_every_question_renders_and_checks(seed):
    for lesson in LESSONS:
        questions = draw(lesson, seed)
        assert 2 <= len(questions) <= 4
        assert len({q.key for q in questions}) == len(questions)
        assert [q.answer for q in draw(lesson, seed)] == [q.answer for q in questions]  # a seed replays
        for q in questions:
            assert check(q, q.answer)
            if q.kind == "number":
                assert check(q, float(shown_answer(q, "en")))
                assert not check(q, float(q.answer) + q.tolerance + 1)
                assert not check(q, float(q.answer) - q.tolerance - 1)
                assert not check(q, None)
            else:
                assert q.answer in q.options and len(set(q.options)) == len(q.options)
                assert not any(check(q, o) for o in q.options if o != q.answer)
            for lang in LANGUAGES:
                for text in (prompt(q, lang), explanation(q, lang)):
                    assert "{" not in text and "}" not in text
                assert shown_answer(q, lang) in explanation(q, lang)
            if q.figure:
                assert all(q.figure in catalogue(lang) for lang in LANGUAGES)


def test_seeds_draw_different_numbers():
    for lesson in LESSONS:
        drawn = {tuple(sorted((q.key, str(q.answer), str(dict(q.values))) for q in draw(lesson, s))) for s in range(20)}
        assert len(drawn) > 1, lesson


def test_the_prompt_carries_the_drawn_numbers():
    q = by_key("formula", 3)["output"]
    for lang in LANGUAGES:
        shown = numbers(prompt(q, lang))
        assert all(q.values[name] in shown for name in ("i", "k", "d", "p", "s"))


def test_tolerance_and_rounding():
    q = Question("x", "y", 66.94, tolerance=2.0, digits=1)
    assert check(q, 68.9) and check(q, 65.0) and not check(q, 69.0) and not check(q, "abc")
    exact = Question("x", "y", 7)
    assert check(exact, 7) and check(exact, 7.0) and not check(exact, 8) and not check(exact, 7.4)


def test_a_lesson_without_questions_draws_none():
    assert not quiz.has_quiz("no_such_lesson") and draw("no_such_lesson", 1) == []
    assert all(quiz.has_quiz(lesson) for lesson in LESSONS)
