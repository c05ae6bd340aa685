"""Predict, then reveal: a lesson's questions (deeplab_core.quiz) in an expander, checked as the student answers.

The numbers come from the session's seed (lessons.parts.room: drawn per session, or the link's ?seed=N, so a
whole room can answer the same question) and the lesson's name; "new numbers" draws another seed and clears the
answers. The questions run in a fragment, so answering one does not rerun the lesson's figures or its network.
A question is printed as body text, as large as its explanation; its widget's own label is kept for screen
readers only.
"""

from __future__ import annotations

import streamlit as st

from deeplab_core import quiz as core
from lessons.parts.room import SEED_MAX, bad_seed, new_seed, room_seed
from lessons.parts.ui import language, t
from lessons.parts.widgets import labels_now


def _key(question: core.Question) -> str:
    return f"q_{question.lesson}_{question.key}"


def _reroll(keys: list[str]) -> None:
    for key in keys:
        st.session_state.pop(key, None)
    new_seed()


def _ask(question: core.Question, lang: str) -> None:
    label = core.prompt(question, lang)
    st.markdown(f"**{label}**")
    given: object
    if question.kind == "choice":
        given = st.radio(
            label,
            question.options,
            index=None,
            key=_key(question),
            format_func=labels_now(question.options, lambda o: core.option_label(question, o, lang)),
            label_visibility="collapsed",
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
            label_visibility="collapsed",
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
    seed = room_seed()
    questions = core.draw(lesson, seed)
    st.caption(t("quiz.intro"))
    bad = bad_seed()
    if bad is not None:
        st.warning(t("quiz.bad_seed", seed=bad[:20], most=len(str(SEED_MAX - 1))))
    for question in questions:
        _ask(question, lang)
    cols = st.columns([1, 2], vertical_alignment="center")
    if cols[0].button(
        t("quiz.reroll"),
        key=f"q_{lesson}_roll",
        icon=":material/casino:",
        on_click=_reroll,
        args=([_key(q) for q in questions],),
    ):
        st.rerun()  # the whole page, not just this fragment: the sidebar's room link shows the new seed
    cols[1].caption(t("quiz.seed_note", seed=seed))


def quiz(lesson: str) -> None:
    """The lesson's questions, if it has any, folded in an expander."""
    if not core.has_quiz(lesson):
        return
    with st.expander(t("quiz.heading"), icon=":material/quiz:"):
        _questions(lesson)
