"""The DeepLab v1/v2 lesson's questions: answers checked against independent oracles (the closed forms the paper
gives, a real forward pass, the parameters of the built heads, a CRF step), strings in both languages, the checker
accepting the answer and rejecting the others."""

from __future__ import annotations

import math

import pytest
import torch

from deeplab_core.i18n import LANGUAGES
from deeplab_core.maths.crf import CrfSettings, dense_crf
from deeplab_core.maths.crf_scene import constructed_scene
from deeplab_core.nets.deeplab_v1 import build_v1
from deeplab_core.nets.deeplab_v2 import build_v2
from deeplab_core.quiz import check, draw, explanation, has_quiz, option_label, prompt, shown_answer
from deeplab_core.quiz.deeplab_v1_v2 import QUIZ_SCENE

LESSON = "deeplab_v1_v2"
SEEDS = range(8)


def by_key(seed: int) -> dict:
    return {q.key: q for q in draw(LESSON, seed)}


@pytest.mark.parametrize("seed", SEEDS)
def test_fov_is_the_papers_closed_form(seed):
    """Table 2's column: 8(k' − 1) + 32 with k' = k + (k − 1)(r − 1) (224, 128, 224, 224 for its four rows)."""
    q = by_key(seed)["fov"]
    k, r = q.values["k"], q.values["r"]
    assert q.answer == 8 * ((k + (k - 1) * (r - 1)) - 1) + 32


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_score_map_side_is_what_a_real_forward_pass_gives(seed):
    q = by_key(seed)["score_map"]
    net = build_v1("largefov", device="cpu", imagenet=False).net
    crop = q.values["crop"]
    with torch.no_grad():
        scores = net(torch.zeros(1, 3, crop, crop))  # (1, 21, h, w)
    assert q.answer == scores.shape[-1] == math.ceil(crop / 8)


def test_heads_answer_counts_the_real_parameters():
    q = by_key(0)["heads"]
    counts = {name: sum(p.numel() for p in build_v2(name).aspp.parameters()) for name in ("ASPP-L", "ASPP-S")}
    assert q.answer == "same" and counts["ASPP-L"] == counts["ASPP-S"]
    assert {by_key(s)["heads"].options for s in SEEDS} != {q.options}  # the order is drawn, not fixed


def test_no_pairwise_term_changes_nothing():
    q = by_key(1)["no_pairwise"]
    scene = constructed_scene(*QUIZ_SCENE)
    q_final = dense_crf(scene.image, scene.probabilities, iterations=q.values["step"], compat_gaussian=0,
                        compat_bilateral=0)  # fmt: skip
    assert q.answer == 0
    assert torch.equal(q_final.argmax(0), torch.from_numpy(scene.probabilities).argmax(0))
    assert CrfSettings().compat_bilateral > 0  # the page's default does move labels (tests/test_crf_scene.py)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_question_renders_and_checks(seed):
    assert has_quiz(LESSON)
    questions = draw(LESSON, seed)
    assert [q.answer for q in draw(LESSON, seed)] == [q.answer for q in questions]  # a seed replays
    for q in questions:
        assert check(q, q.answer)
        if q.kind == "number":
            assert not check(q, float(q.answer) + 1) and not check(q, None)
        else:
            assert q.answer in q.options and not any(check(q, o) for o in q.options if o != q.answer)
        for lang in LANGUAGES:
            for text in (prompt(q, lang), explanation(q, lang)):
                assert "{" not in text and "}" not in text
            assert shown_answer(q, lang) in explanation(q, lang)
            if q.kind == "choice":
                assert len({option_label(q, o, lang) for o in q.options}) == len(q.options)


def test_seeds_draw_different_numbers():
    drawn = {tuple((q.key, str(q.answer), str(dict(q.values))) for q in draw(LESSON, s)) for s in range(10)}
    assert len(drawn) > 1
