"""The lab's training loop, its scores, the verdicts drawn from them, and the command-line tool."""

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deeplab_core.lab import main
from deeplab_core.nets.lab import training
from deeplab_core.nets.lab.results import compare, load, summarise
from deeplab_core.nets.lab.scenes import CLASSES
from deeplab_core.nets.lab.training import (
    MAX_STEPS,
    RunResult,
    TrainConfig,
    confusion,
    iou_per_class,
    pack,
    train,
    unpack,
)

TINY = TrainConfig(steps=40, batch_size=4, validation_scenes=4, evaluate_every=20)


@settings(max_examples=25, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 40), st.integers(1, 40)), elements=st.integers(0, 5)))
def test_pack_round_trips(labels):
    assert np.array_equal(unpack(pack(labels)), labels)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_iou_equals_the_definition(seed):
    rng = np.random.default_rng(seed)
    truth, guess = rng.integers(0, 6, size=(2, 50))
    guess[:10] = truth[:10]
    iou = iou_per_class(confusion(truth, guess))
    for c in range(len(CLASSES)):
        union = np.sum((truth == c) | (guess == c))
        expected = np.sum((truth == c) & (guess == c)) / union if union else np.nan
        assert np.isclose(iou[c], expected, equal_nan=True)


def test_a_short_run_lowers_the_loss_and_reports_its_geometry():
    seen = []
    result = train("b", 0, TINY, device="cpu", callback=seen.append, threads=1)
    losses = result.history["loss"]
    assert len(losses) == TINY.steps and [p.step for p in seen] == list(range(1, TINY.steps + 1))
    assert np.mean(losses[-8:]) < 0.8 * np.mean(losses[:8])
    assert result.history["eval_step"] == [20, 40]
    assert result.output_stride == 8 and result.parameters > 0
    assert 0.0 <= result.miou <= 1.0 and set(result.iou) == set(CLASSES)
    assert len(result.predictions) == 3 and unpack(result.predictions[0]).shape == (96, 96)


def test_same_seed_same_run():
    one = train("a", 1, replace(TINY, steps=3), device="cpu", threads=1)
    two = train("a", 1, replace(TINY, steps=3), device="cpu", threads=1)
    assert one.history["loss"] == two.history["loss"] and one.predictions == two.predictions


def test_steps_are_capped(monkeypatch):
    monkeypatch.setattr(training, "MAX_STEPS", 3)
    result = train("a", 0, replace(TINY, steps=10), device="cpu")
    assert result.steps == 3 and len(result.history["loss"]) == 3


def fake(variant: str, seed: int, miou: float, line: float = 0.0) -> RunResult:
    iou = dict.fromkeys(CLASSES, 0.5) | {"line": line}
    return RunResult(variant, seed, 10, 1, 8, 1, False, 0, "cpu", 1.0, miou, iou)


def test_verdicts_need_more_than_the_spread():
    runs = [fake("b", s, m) for s, m in enumerate((0.50, 0.52, 0.54))]
    runs += [fake("a", s, m) for s, m in enumerate((0.30, 0.31, 0.29))]
    runs += [fake("c", s, m) for s, m in enumerate((0.51, 0.55, 0.53))]
    assert compare(runs, "b", "a").outcome == "beats"
    assert compare(runs, "a", "b").outcome == "loses"
    tie = compare(runs, "c", "b")
    assert tie.outcome == "ties" and np.isclose(tie.margin, 0.01) and np.isclose(tie.noise, 0.02)
    assert compare(runs[:1] + runs[3:4], "b", "a").outcome == "one_seed"
    s = summarise(runs, "a")
    assert np.isclose(s.spread, np.std([0.30, 0.31, 0.29], ddof=1)) and s.seeds == (0, 1, 2)


def test_the_tool_writes_its_json(tmp_path):
    out = tmp_path / "lab.json"
    assert main(["--variants", "a,e", "--seeds", "0,1", "--steps", "2", "--device", "cpu", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert (
        data["command"] == f"python -m deeplab_core.lab --variants a,e --seeds 0,1 --steps 2 --device cpu --json {out}"
    )
    assert [(r["variant"], r["seed"]) for r in data["runs"]] == [
        (v, s) for v in ("a", "e-grid", "e-hdc") for s in (0, 1)
    ]
    assert set(data["summary"]) == {"a", "e-grid", "e-hdc"}
    assert {v["score"] for v in data["verdicts"]} == {"line", "miou"}
    assert data["runs"][0]["output_stride"] == 32 and data["runs"][2]["holes"] > 0
    shipped = load(out)
    assert len(shipped.runs) == 6 and shipped.runs[0].steps == 2


@pytest.mark.parametrize("argv", [["--steps", "0"], ["--steps", str(MAX_STEPS + 1)], ["--variants", "z"]])
def test_the_tool_refuses_bad_arguments(tmp_path, argv):
    assert main([*argv, "--json", str(tmp_path / "x.json")]) == 2
    assert not (tmp_path / "x.json").exists()


def test_every_step_runs_inside_the_guard_with_the_asked_threads(monkeypatch):
    import contextlib

    import torch

    entered, thread_settings = [], []
    before = torch.get_num_threads()
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (thread_settings.append(n), real(n)))

    @contextlib.contextmanager
    def guard():
        entered.append(1)
        yield

    train("a", 0, replace(TINY, steps=3), device="cpu", step_guard=guard, threads=1)
    assert len(entered) == 3 + 1  # each step, then the final predictions
    assert thread_settings == [1, before] * 4  # one thread inside, the old count put back after each
    assert torch.get_num_threads() == before
