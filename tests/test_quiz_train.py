"""The train lesson's questions: the receptive field against autograd through the lab's real backbone, the score
map against a real forward pass, the verdict against the shipped results recomputed from the JSON file, strings in
both languages, and the checker accepting the answer."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from deeplab_core.i18n import LANGUAGES
from deeplab_core.nets.lab.results import SHIPPED
from deeplab_core.nets.lab.scenes import SCENES
from deeplab_core.nets.lab.variants import TinyDeepLab, VariantSpec
from deeplab_core.quiz import check, draw, explanation, option_label, prompt, shown_answer

SEEDS = range(8)


def by_key(seed: int) -> dict:
    return {q.key: q for q in draw("train", seed)}


def rates(q) -> tuple[int, ...]:
    return tuple(int(r) for r in q.values["rates"].split(", "))


def field_by_autograd(deep_rates: tuple[int, ...]) -> int:
    """Pixels (along one row) that the centre unit of a real lab backbone depends on: every weight positive, BN the
    identity and a positive input, so no path cancels and the gradient is non-zero exactly where a path reaches."""
    net = TinyDeepLab(VariantSpec("oracle", (1, 1, 1, 1), deep_rates)).backbone.eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.fill_(1.0)
    x = torch.ones(1, 3, 512, 512, requires_grad=True)  # (N, C, H, W): wide enough for any drawn field
    y = net(x)  # (1, C, 64, 64)
    y[0, 0, 32, 32].backward()
    assert x.grad is not None
    columns = torch.nonzero(x.grad[0, 0].abs().sum(dim=0)).flatten()
    return int(columns.max() - columns.min() + 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_backbone_field_is_what_autograd_reaches(seed):
    q = by_key(seed)["field"]
    assert q.answer == field_by_autograd(rates(q))
    assert sum(int(n) for n in q.values["adds"].split(" + ")) + q.values["stem"] == q.answer


@pytest.mark.parametrize("seed", SEEDS)
def test_the_score_map_is_the_real_forward_passs(seed):
    q = by_key(seed)["score_map"]
    strides = tuple(int(s) for s in q.values["strides"].split(", "))
    net = TinyDeepLab(VariantSpec("oracle", strides, (1, 1, 1, 1))).eval()
    with torch.no_grad():
        scores = net.classifier(net.head(net.backbone(torch.zeros(1, 3, SCENES.size, SCENES.size))))
    assert scores.shape[-2:] == (q.answer, q.answer)
    assert q.values["os"] * q.answer == SCENES.size


def recomputed(x: str, y: str, score: str) -> str:
    """The verdict from the file itself: per-seed scores, mean and sample spread (ddof 1), as the lesson defines."""
    runs = json.loads(SHIPPED.read_text(encoding="utf-8"))["runs"]

    def values(variant: str) -> np.ndarray:
        pick = sorted((r for r in runs if r["variant"] == variant), key=lambda r: r["seed"])
        return np.array([r["miou"] if score == "miou" else (r["iou"][score] or 0.0) for r in pick])

    a, b = values(x), values(y)
    margin, noise = a.mean() - b.mean(), max(a.std(ddof=1), b.std(ddof=1))
    return "beats" if margin > noise else "loses" if -margin > noise else "ties"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_verdict_is_the_shipped_results(seed):
    q = by_key(seed)["verdict"]
    x, y = (q.values[k].key.rsplit(".", 1)[1] for k in ("x", "y"))
    score = q.values["score"] if isinstance(q.values["score"], str) else q.values["score"].key.rsplit(".", 1)[1]
    assert q.answer == recomputed(x, y, "miou" if score == "mIoU" else score)
    assert float(q.values["margin"]) >= 0  # a distance: "falls behind" already says which way


def test_every_outcome_and_both_scores_can_be_asked():
    asked = [by_key(seed)["verdict"] for seed in range(60)]
    assert {q.answer for q in asked} == {"beats", "ties", "loses"}
    assert {isinstance(q.values["score"], str) for q in asked} == {True, False}


def test_without_the_shipped_results_the_other_questions_remain(monkeypatch):
    from deeplab_core.quiz import train

    monkeypatch.setattr(train, "shipped", lambda: None)
    assert [q.key for q in draw("train", 0)] == ["field", "score_map"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("seed", SEEDS)
def test_strings_render_and_the_answer_is_accepted(seed, lang):
    for q in draw("train", seed):
        text = prompt(q, lang) + explanation(q, lang)
        assert "{" not in text and "Term(" not in text
        assert shown_answer(q, lang) in explanation(q, lang) or q.kind == "choice"
        assert check(q, q.answer)
        if q.kind == "choice":
            assert len({option_label(q, o, lang) for o in q.options}) == len(q.options)
            assert not any(check(q, o) for o in q.options if o != q.answer)
        else:
            assert not check(q, q.answer + 1)
    assert [q.key for q in draw("train", seed)] == [q.key for q in draw("train", seed)]
