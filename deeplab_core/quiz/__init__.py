"""Predict, then reveal: a few questions per lesson whose numbers are drawn per session and whose answers are
computed by the lesson's own core functions, never typed.

Asking for a prediction before showing the result is the "prediction–observation–explanation" probe of science
teaching (White & Gunstone, "Probing Understanding", 1992, ch. 3): the figure on the page is the observation,
and each explanation points at it.

A lesson takes part by having a module `deeplab_core/quiz/<slug>.py` with

    def questions(rng: random.Random) -> list[Question]

that draws its numbers from `rng` only (so a seed replays the same questions) and computes every answer with
the lesson's core functions. Its strings live in the catalogue under `<prefix>.<key>.prompt` and
`<prefix>.<key>.explain` (the prefix is `quiz.<slug>` unless the question names another, so a new lesson may
keep its questions in its own namespace), plus `<prefix>.<key>.option.<option>` for labelled choices. Values
fill both templates; a `Term(key)` value is a catalogue string, put in the reader's language.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from deeplab_core.i18n import text


@dataclass(frozen=True)
class Term:
    """A placeholder value that is itself a catalogue string (a position's name, a model's name)."""

    key: str


@dataclass(frozen=True, eq=False)
class Question:
    lesson: str
    key: str  # unique within the lesson; names the strings and the widget
    answer: int | float | str
    kind: Literal["number", "choice"] = "number"
    values: Mapping[str, object] = field(default_factory=dict)  # placeholders of the prompt and the explanation
    options: tuple[str, ...] = ()  # choice questions: the options, in the order shown
    labelled: bool = False  # choice options shown through "<prefix>.<key>.option.<option>"
    tolerance: float = 0.0  # number questions: |given − answer| ≤ tolerance is right
    digits: int = 0  # decimals the answer is shown and entered with
    figure: str | None = None  # catalogue key of the heading of the figure the explanation points at
    prefix: str | None = None  # catalogue prefix; default "quiz.<lesson>"

    @property
    def text_key(self) -> str:
        return f"{self.prefix or f'quiz.{self.lesson}'}.{self.key}"


def check(question: Question, given: object) -> bool:
    """Whether `given` is a right answer: within the tolerance for numbers, the very option for choices."""
    if given is None:
        return False
    if question.kind == "choice":
        return given == question.answer
    try:
        value = float(given)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    # half a unit of the last shown decimal on top of the tolerance: the rounded answer we display is accepted
    rounding = 0.5 * 10**-question.digits if question.digits else 0.0
    return abs(value - float(question.answer)) <= question.tolerance + rounding + 1e-9


def shown_answer(question: Question, lang: str) -> str:
    """The answer as the student would write it."""
    if question.kind == "choice":
        return option_label(question, str(question.answer), lang)
    if question.digits == 0:
        return f"{round(float(question.answer)):d}"
    return f"{float(question.answer):.{question.digits}f}"


def _resolved(question: Question, lang: str) -> dict[str, object]:
    values = {name: text(v.key, lang) if isinstance(v, Term) else v for name, v in question.values.items()}
    return {**values, "answer": shown_answer(question, lang) if "answer" not in values else values["answer"]}


def prompt(question: Question, lang: str) -> str:
    return text(f"{question.text_key}.prompt", lang, **_resolved(question, lang))


def explanation(question: Question, lang: str) -> str:
    return text(f"{question.text_key}.explain", lang, **_resolved(question, lang))


def option_label(question: Question, option: str, lang: str) -> str:
    return text(f"{question.text_key}.option.{option}", lang) if question.labelled else option


def has_quiz(lesson: str) -> bool:
    return importlib.util.find_spec(f"{__name__}.{lesson}") is not None


def draw(lesson: str, seed: int) -> list[Question]:
    """The lesson's questions for one seed: the same seed always gives the same questions."""
    if not has_quiz(lesson):
        return []
    module = importlib.import_module(f"{__name__}.{lesson}")
    return module.questions(random.Random(f"{lesson}/{seed}"))
