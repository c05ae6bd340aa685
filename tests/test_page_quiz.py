"""Predict, then reveal, on real pages: a right answer is confirmed, a wrong one corrected with the computed
answer, the explanation follows, and new numbers clear the answers, in both languages."""

from __future__ import annotations

import pytest

from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.quiz import draw, explanation, shown_answer
from tests.apptest_support import open_page


def questions(at, lesson: str) -> dict:
    return {q.key: q for q in draw(lesson, at.session_state["q_seeds"][lesson])}


def verdicts(at) -> tuple[list[str], list[str]]:
    return [s.value for s in at.success], [e.value for e in at.error]


def explained(at, question, lang: str) -> bool:
    return any(explanation(question, lang) in m.value for m in at.markdown)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_formula_number_question(lang):
    at = open_page("formula", lang)
    assert not at.exception
    q = questions(at, "formula")["k_eff"]
    box = at.number_input(key="q_formula_k_eff")
    assert box.value is None and not explained(at, q, lang)
    right = text("quiz.right", lang, answer=shown_answer(q, lang))
    wrong = text("quiz.wrong", lang, answer=shown_answer(q, lang))
    box.set_value(q.answer).run()
    assert right in verdicts(at)[0] and explained(at, q, lang)
    at.number_input(key="q_formula_k_eff").set_value(q.answer + 2).run()
    assert wrong in verdicts(at)[1] and right not in verdicts(at)[0]
    assert explained(at, q, lang)
    assert not at.exception


@pytest.mark.parametrize("lang", LANGUAGES)
def test_receptive_field_choice_question_and_new_numbers(lang):
    at = open_page("receptive_field", lang)
    assert not at.exception
    q = questions(at, "receptive_field")["grids"]
    other = next(o for o in q.options if o != q.answer)
    at.radio(key="q_receptive_field_grids").set_value(other).run()
    assert text("quiz.wrong", lang, answer=q.answer) in verdicts(at)[1]
    at.radio(key="q_receptive_field_grids").set_value(q.answer).run()
    assert text("quiz.right", lang, answer=q.answer) in verdicts(at)[0] and explained(at, q, lang)
    seed = at.session_state["q_seeds"]["receptive_field"]
    at.button(key="q_receptive_field_roll").click().run()
    assert at.session_state["q_seeds"]["receptive_field"] != seed
    assert at.radio(key="q_receptive_field_grids").value is None
    fresh = questions(at, "receptive_field")["grids"]
    assert not explained(at, fresh, lang) and not at.exception


def test_percent_question_accepts_within_tolerance():
    at = open_page("large_rates", "en")
    q = questions(at, "large_rates")["share"]
    at.number_input(key="q_large_rates_share").set_value(round(q.answer + 0.9 * q.tolerance, 1)).run()
    assert text("quiz.right", "en", answer=shown_answer(q, "en")) in verdicts(at)[0]
    at.number_input(key="q_large_rates_share").set_value(round(q.answer + q.tolerance + 1, 1)).run()
    assert text("quiz.wrong", "en", answer=shown_answer(q, "en")) in verdicts(at)[1]
    assert not at.exception
