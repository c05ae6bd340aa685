"""The sidebar's link box: this view as a link to copy, the same link with the room's seed (everyone who opens it
gets the same question numbers), and a button that puts this lesson's controls back to their defaults."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import streamlit as st

from lessons.parts.room import SEED_PARAM, room_seed
from lessons.parts.ui import PROJECTOR, language, projector, t
from lessons.parts.widgets import CHOICE_KEYS, LINK_VALUES, VIEW_KEYS


def _reset(lesson: str) -> None:
    for key, default in st.session_state.get(VIEW_KEYS, {}).get(lesson, {}).items():
        st.session_state[key] = default  # a default value also leaves the URL


def _forget_other_lessons(lesson: str) -> None:
    """Choice parameters of the lesson the student came from leave the address bar (Streamlit drops only the
    parameters of its own bound widgets on a page switch)."""
    mine = st.session_state.get(VIEW_KEYS, {}).get(lesson, {})
    for key in st.session_state.get(CHOICE_KEYS, set()) - set(mine):
        if key in st.query_params:
            del st.query_params[key]


def view_tools(container: Any = None) -> None:
    """Called by the router once the page has run (by then every control has its value for this run), into the
    sidebar slot the router reserved above the compute box, so it is in sight on a laptop screen."""
    lesson = st.session_state.pop("_lesson", None)  # set by this run's header(); a page without one has no tools
    if lesson is None:
        return
    _forget_other_lessons(lesson)
    box = (container or st.sidebar).container(border=True)
    box.caption(t("common.link_caption"))
    box.code(current_link(lesson), language=None)
    box.caption(t("common.room_link_caption"))
    box.code(current_link(lesson, seed=room_seed()), language=None)
    box.button(
        t("common.reset"),
        key=f"reset_{lesson}",
        on_click=_reset,
        args=(lesson,),
        icon=":material/restart_alt:",
        width="stretch",
    )


def current_link(lesson: str, *, seed: int | None = None) -> str:
    """This page's URL with the language, projector mode and every control of `lesson` that is off its default
    (and, for the whole room, the seed of the questions)."""
    base = (getattr(st.context, "url", None) or "").split("?")[0]
    params = [("lang", language())] + ([(PROJECTOR, "true")] if projector() else [])
    values = st.session_state.get(LINK_VALUES, {}).get(lesson, {})
    params += [(key, value) for key, listed in values.items() for value in listed]
    params += [] if seed is None else [(SEED_PARAM, str(seed))]
    return f"{base}?{urlencode(params)}"
