"""Results of the train lab over seeds: mean and spread per variant, and verdicts computed from them.

A difference between two variants counts only when it is larger than the seed-to-seed noise. For a score x
measured on seeds s = 1..n, the mean is x̄ = Σ x_s / n and the spread is the sample standard deviation
σ = sqrt(Σ (x_s − x̄)² / (n − 1)). Variant X *beats* Y when x̄ − ȳ > max(σ_X, σ_Y), *loses* when
ȳ − x̄ > max(σ_X, σ_Y), and *ties* otherwise; with a single seed there is no spread and the verdict is
"one seed" (unknown), never a win.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deeplab_core.nets.lab.scenes import CLASSES
from deeplab_core.nets.lab.training import RunResult

Score = Callable[[RunResult], float]


def miou(run: RunResult) -> float:
    return run.miou


def class_iou(name: str) -> Score:
    """A score: the IoU of one class (0 where the class was never predicted nor present)."""
    return lambda run: float(np.nan_to_num(run.iou[name]))


@dataclass(frozen=True)
class Summary:
    variant: str
    seeds: tuple[int, ...]
    mean: float
    spread: float  # sample standard deviation over seeds; NaN for one seed
    low: float
    high: float
    seconds: float  # mean training seconds


def summarise(runs: Iterable[RunResult], variant: str, score: Score = miou) -> Summary:
    mine = sorted((r for r in runs if r.variant == variant), key=lambda r: r.seed)
    if not mine:
        raise KeyError(variant)
    values = np.array([score(r) for r in mine])
    spread = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    seconds = float(np.mean([r.seconds for r in mine]))
    seeds = tuple(r.seed for r in mine)
    return Summary(variant, seeds, float(values.mean()), spread, float(values.min()), float(values.max()), seconds)


@dataclass(frozen=True)
class Verdict:
    better: str
    worse: str
    margin: float  # mean(better) − mean(worse), in the score's units
    noise: float  # max of the two spreads
    outcome: str  # "beats", "ties", "loses" or "one_seed"


def compare(runs: Sequence[RunResult], x: str, y: str, score: Score = miou) -> Verdict:
    """Does x beat y by more than the spread over seeds? Only seeds both variants ran are compared."""
    common = {r.seed for r in runs if r.variant == x} & {r.seed for r in runs if r.variant == y}
    both = [r for r in runs if r.seed in common]
    sx, sy = summarise(both, x, score), summarise(both, y, score)
    margin, noise = sx.mean - sy.mean, max(sx.spread, sy.spread)
    if np.isnan(noise):
        outcome = "one_seed"
    elif margin > noise:
        outcome = "beats"
    elif -margin > noise:
        outcome = "loses"
    else:
        outcome = "ties"
    return Verdict(x, y, margin, noise, outcome)


# The comparisons the lesson asks about: (x, y, score name). Score names: "miou" or a class name.
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    ("b", "a", "miou"),
    ("c", "a", "miou"),
    ("d", "a", "miou"),
    ("c", "b", "miou"),
    ("d", "c", "miou"),
    ("e-hdc", "e-grid", "line"),
    ("e-hdc", "e-grid", "miou"),
)


def score_named(name: str) -> Score:
    return miou if name == "miou" else class_iou(name)


def answers(runs: Sequence[RunResult]) -> list[tuple[str, Verdict]]:
    """The verdict of every question both of whose variants appear in `runs`."""
    present = {r.variant for r in runs}
    return [(s, compare(runs, x, y, score_named(s))) for x, y, s in QUESTIONS if {x, y} <= present]


SHIPPED = Path(__file__).resolve().parents[3] / "assets" / "lab_results.json"


@dataclass(frozen=True)
class ResultsFile:
    command: str
    machine: dict
    created: str
    runs: tuple[RunResult, ...]


def load(path: Path = SHIPPED) -> ResultsFile:
    """A file written by `python -m deeplab_core.lab` (the shipped one by default)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    runs = tuple(RunResult.from_json(r) for r in data["runs"])
    return ResultsFile(data["command"], data["machine"], data["created"], runs)


def per_class(runs: Sequence[RunResult], variant: str) -> tuple[list[float], list[float]]:
    """Mean and spread over seeds of every class's IoU, then of the mIoU (NaN spread for one seed)."""
    scores = [class_iou(c) for c in CLASSES] + [miou]
    summaries = [summarise(runs, variant, s) for s in scores]
    return [s.mean for s in summaries], [s.spread for s in summaries]
