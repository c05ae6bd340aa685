"""The pixel-field lesson's questions: answers checked against what autograd and the modules say, strings in both
languages, and the checker accepting the answer."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import SqueezeExcitation

from deeplab_core.config import DEEPLAB_OUTPUT_STRIDES
from deeplab_core.i18n import LANGUAGES
from deeplab_core.nets.model import architecture
from deeplab_core.nets.network_rf import network_field
from deeplab_core.quiz import check, draw, explanation, has_quiz, option_label, prompt, shown_answer

SEEDS = range(8)


def by_key(seed: int) -> dict:
    return {q.key: q for q in draw("pixel_field", seed)}


def gradient_span(output_stride: int, rate: int) -> int:
    """Autograd, 1-D: input pixels one output of [a stride-`output_stride` step, then a 3-tap kernel at `rate`]
    depends on, minus those of the stride step alone (1): what the atrous layer adds."""
    length = 2 * rate * output_stride + 4 * output_stride + 1
    x = torch.zeros(1, 1, length, requires_grad=True)  # (N, C, L)
    y = F.conv1d(x, torch.ones(1, 1, 1), stride=output_stride)  # the grid of cells, `output_stride` pixels apart
    y = F.conv1d(y, torch.ones(1, 1, 3), dilation=rate)  # (N, C, L'), unpadded
    y[0, 0, 0].backward()
    assert x.grad is not None
    reached = torch.nonzero(x.grad[0, 0]).flatten()
    return int(reached.max() - reached.min() + 1) - 1


@pytest.mark.parametrize("seed", SEEDS)
def test_a_branch_adds_what_autograd_reaches(seed):
    q = by_key(seed)["adds"]
    assert q.answer == gradient_span(q.values["os"], q.values["rate"])


@pytest.mark.parametrize("seed", SEEDS)
def test_output_stride_answer_follows_the_modules(seed):
    q = by_key(seed)["stride"]
    name = model_name(q)
    coarse, fine = DEEPLAB_OUTPUT_STRIDES
    nets = {os_: architecture(name, os_) for os_ in (coarse, fine)}
    # the backbone plus the widest atrous branch reach the same pixels at both strides (rates double as it halves)
    assert max(network_field(nets[coarse]).with_aspp) == max(network_field(nets[fine]).with_aspp)
    # the head's 3×3 convolution then adds two grid steps: more pixels at the coarser grid
    assert q.answer == str(coarse) and q.values["wide"] != q.values["narrow"]


def model_name(question) -> str:
    return question.values["name"].key.rsplit(".", 1)[-1]  # a Term: the model's name in the reader's language


@pytest.mark.parametrize("seed", SEEDS)
def test_beyond_the_box_only_where_the_backbone_pools_globally(seed):
    q = by_key(seed)["outside"]
    net = architecture(model_name(q))
    gates = any(isinstance(m, SqueezeExcitation) for m in net.backbone.modules())
    assert q.answer == ("yes" if gates else "no")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_question_renders_and_accepts_its_answer(seed, lang):
    assert has_quiz("pixel_field")
    for q in draw("pixel_field", seed):
        text = prompt(q, lang) + explanation(q, lang)
        assert "{" not in text and "}" not in text
        assert check(q, q.answer)
        if q.kind == "choice":
            assert all(option_label(q, o, lang) for o in q.options)
            assert not any(check(q, o) for o in q.options if o != q.answer)
        else:
            assert not check(q, q.answer + 1)
        assert shown_answer(q, lang)


def test_a_seed_replays_the_same_questions():
    assert [(q.key, q.answer, dict(q.values)) for q in draw("pixel_field", 3)] == [
        (q.key, q.answer, dict(q.values)) for q in draw("pixel_field", 3)
    ]
