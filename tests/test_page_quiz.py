"""Predict, then reveal, on real pages: a right answer is confirmed, a wrong one corrected with the computed
answer, the explanation follows, and new numbers clear the answers, in both languages. A question for the whole
room: a link's ?seed=N gives every fresh session the same numbers, and the sidebar offers that link."""

from __future__ import annotations

import pytest

from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.quiz import draw, explanation, has_quiz, prompt, shown_answer
from lessons import available_lessons
from lessons.parts.room import SEED
from tests.apptest_support import open_page


def questions(at, lesson: str) -> dict:
    return {q.key: q for q in draw(lesson, at.session_state[SEED])}


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
    seed = at.session_state[SEED]
    at.button(key="q_receptive_field_roll").click().run()
    assert at.session_state[SEED] != seed
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


def shown_prompts(at, lesson: str) -> dict[str, str]:
    """The lesson's questions as the page asks them: widget key -> prompt, each also printed as body text."""
    asked = {w.key: w.label for w in [*at.number_input, *at.radio] if str(w.key).startswith(f"q_{lesson}_")}
    printed = {m.value for m in at.markdown}
    assert all(f"**{label}**" in printed for label in asked.values()), "the question is printed as large as its answer"
    return asked


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("lesson", [lesson.slug for lesson in available_lessons() if has_quiz(lesson.slug)])
def test_one_seed_link_gives_two_fresh_sessions_the_same_questions(random_weights, lesson, lang):
    first, second = (open_page(lesson, lang, params={"seed": "424242"}) for _ in range(2))
    assert not first.exception and not second.exception
    asked = {f"q_{lesson}_{q.key}": prompt(q, lang) for q in draw(lesson, 424242)}
    assert asked and shown_prompts(first, lesson) == shown_prompts(second, lesson) == asked
    room_link = first.sidebar.code[1].value
    assert "seed=424242" in room_link and "seed=" not in first.sidebar.code[0].value


def test_without_a_seed_each_session_draws_its_own_and_the_room_link_carries_it():
    seeds = {open_page("formula", "en").session_state[SEED] for _ in range(3)}
    assert len(seeds) > 1  # three draws from a million alike would be a broken generator
    at = open_page("formula", "en")
    assert f"seed={at.session_state[SEED]}" in at.sidebar.code[1].value and "seed" not in at.query_params


def test_new_numbers_change_the_seed_in_the_link_and_the_address_bar():
    at = open_page("formula", "en", params={"seed": "7"})
    assert at.query_params["seed"] in ("7", ["7"])
    at.button(key="q_formula_roll").click().run()
    seed = at.session_state[SEED]
    assert seed != 7 and at.query_params["seed"] in (str(seed), [str(seed)])
    assert f"seed={seed}" in at.sidebar.code[1].value
    assert shown_prompts(at, "formula") == {f"q_formula_{q.key}": prompt(q, "en") for q in draw("formula", seed)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_seed_that_is_no_number_is_said_not_ignored(lang):
    at = open_page("formula", lang, params={"seed": "banana"})
    assert not at.exception
    assert any(text("quiz.bad_seed", lang, seed="banana", most=6) == w.value for w in at.warning)
    assert "seed" not in at.query_params
