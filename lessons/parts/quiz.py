"""Predict, then reveal: a lesson's questions (deeplab_core.quiz) in an expander, checked as the student answers.

The numbers are drawn once per session and lesson (`q_seeds` in the session state) and change only with the
"new numbers" button, which also clears the answers. The questions run in a fragment, so answering one does
not rerun the lesson's figures or its network.
"""

from __future__ import annotations

import random

import streamlit as st

from deeplab_core import quiz as core
from lessons.parts.ui import language, t
from lessons.parts.widgets import labels_now

SEEDS = "q_seeds"  # session state: {lesson: seed}


def _seed(lesson: str) -> int:
    seeds = st.session_state.setdefault(SEEDS, {})
    if lesson not in seeds:
        seeds[lesson] = random.SystemRandom().randrange(1_000_000)
    return seeds[lesson]


def _key(question: core.Question) -> str:
    return f"q_{question.lesson}_{question.key}"


def _reroll(lesson: str, keys: list[str]) -> None:
    for key in keys:
        st.session_state.pop(key, None)
    st.session_state[SEEDS][lesson] = random.SystemRandom().randrange(1_000_000)


def _ask(question: core.Question, lang: str) -> None:
    label = core.prompt(question, lang)
    given: object
    if question.kind == "choice":
        given = st.radio(
            label,
            question.options,
            index=None,
            key=_key(question),
            format_func=labels_now(question.options, lambda o: core.option_label(question, o, lang)),
        )
    else:
        integer = question.digits == 0
        given = st.number_input(
            label,
            value=None,
            step=1 if integer else 10**-question.digits,
            format=None if integer else f"%.{question.digits}f",
            key=_key(question),
            placeholder=t("quiz.placeholder"),
        )
    if given is None:
        return
    answer = core.shown_answer(question, lang)
    if core.check(question, given):
        st.success(t("quiz.right", answer=answer), icon=":material/check_circle:")
    else:
        st.error(t("quiz.wrong", answer=answer), icon=":material/cancel:")
    explained = core.explanation(question, lang)
    if question.figure:
        explained = t("quiz.explained", explanation=explained, figure=t("quiz.see_figure", figure=t(question.figure)))
    st.markdown(explained)


@st.fragment
def _questions(lesson: str) -> None:
    lang = language()
    questions = core.draw(lesson, _seed(lesson))
    st.caption(t("quiz.intro"))
    for question in questions:
        _ask(question, lang)
    st.button(
        t("quiz.reroll"),
        key=f"q_{lesson}_roll",
        icon=":material/casino:",
        on_click=_reroll,
        args=(lesson, [_key(q) for q in questions]),
    )


def quiz(lesson: str) -> None:
    """The lesson's questions, if it has any, folded in an expander."""
    if not core.has_quiz(lesson):
        return
    with st.expander(t("quiz.heading"), icon=":material/quiz:"):
        _questions(lesson)
