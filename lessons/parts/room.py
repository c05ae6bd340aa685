"""One question for the whole room: the seed that fixes every lesson's question numbers.

A session draws its own seed, so each student gets their own numbers. A link with `?seed=N` (the sidebar's "link
for the whole room") fixes it instead: everyone who opens that link answers the same questions, on every lesson,
since each lesson's questions are drawn from the seed and the lesson's name (deeplab_core.quiz.draw). While a
session runs on a room seed, the seed stays in its address bar; "new numbers" changes it there too."""

from __future__ import annotations

import random

import streamlit as st

SEED_PARAM = "seed"  # ?seed=N
SEED_MAX = 1_000_000  # seeds are 0 … 999 999: short enough to read out to a class
SEED = "q_seed"  # session state: this session's seed
ROOM = "q_room"  # session state: True when the seed came from the link (it then stays in the address bar)
BAD = "q_bad_seed"  # session state: a seed in the link that is not one (shown with the questions, not silently)


def parse_seed(raw: str | None) -> int | None:
    """A seed from a link: a whole number 0 … SEED_MAX − 1, else None."""
    if raw is None or not raw.strip().isdigit():
        return None
    value = int(raw.strip())
    return value if value < SEED_MAX else None


def _fresh() -> int:
    return random.SystemRandom().randrange(SEED_MAX)


def room_seed() -> int:
    """This session's seed: the link's on the first run, else one drawn for this session; kept in the address
    bar while it came from a link."""
    if SEED not in st.session_state:
        raw = st.query_params.get(SEED_PARAM)
        seed = parse_seed(raw)
        st.session_state[ROOM] = seed is not None
        st.session_state[SEED] = _fresh() if seed is None else seed
        if raw is not None and seed is None:
            st.session_state[BAD] = raw
    seed = int(st.session_state[SEED])
    if st.session_state.get(ROOM):
        if st.query_params.get(SEED_PARAM) != str(seed):  # written only when it differs: each write is a message
            st.query_params[SEED_PARAM] = str(seed)
    elif SEED_PARAM in st.query_params:  # an unreadable seed leaves the address bar
        del st.query_params[SEED_PARAM]
    return seed


def new_seed() -> None:
    """on_click of "new numbers": another seed for every lesson (and in the address bar, on a room seed)."""
    st.session_state[SEED] = _fresh()
    st.session_state.pop(BAD, None)


def bad_seed() -> str | None:
    """The text of an unreadable ?seed= from the link, if there was one."""
    value = st.session_state.get(BAD)
    return None if value is None else str(value)
