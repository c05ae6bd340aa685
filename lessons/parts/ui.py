"""Shared page chrome and typed widget helpers, so lessons never copy-paste slider blocks."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import streamlit as st

from deeplab_core import i18n
from deeplab_core.errors import LabError


def language() -> str:
    return st.session_state.get("lang", i18n.DEFAULT_LANGUAGE)


def t(key: str, /, **values: object) -> str:
    """A UI string in the reader's language."""
    return i18n.text(key, language(), **values)


def prose(lesson: str, section: str, /, **values: object) -> str:
    """A prose section in the reader's language; `values` fill its [[value:NAME]] placeholders (numbers the
    page computed with core functions, never typed in the prose)."""
    return i18n.section(lesson, language(), section, **values)


def header(lesson: str, /, **values: object) -> None:
    """Title and the short intuition every lesson opens with."""
    st.title(t(f"{lesson}.title"))
    st.markdown(prose(lesson, "intuition", **values))


def section(lesson: str, name: str, /, **values: object) -> None:
    st.markdown(prose(lesson, name, **values))


def what_to_notice(lesson: str, /, **values: object) -> None:
    st.subheader(t("common.what_to_notice"))
    st.markdown(prose(lesson, "notice", **values))


def show_source(*functions: Callable) -> None:
    """An expander with the source of the core functions this lesson demonstrates."""
    with st.expander(t("common.show_source")):
        for fn in functions:
            st.caption(f"`{fn.__module__}.{fn.__qualname__}`")
            st.code(inspect.getsource(fn), language="python")


def int_slider(
    key: str, label_key: str, low: int, high: int, default: int, *, help_key: str | None = None, container=st
) -> int:
    """An integer slider with a stable key and a translated label."""
    return int(
        container.slider(
            t(label_key),
            min_value=low,
            max_value=high,
            value=default,
            step=1,
            key=key,
            help=t(help_key) if help_key else None,
        )
    )


def labels_now(options, label: Callable[[object], str]) -> Callable[[object], str]:
    """A format_func whose labels are built now, in the script run: AppTest formats options outside the
    run, where a lazy lookup would not know the reader's language."""
    return {option: label(option) for option in options}.__getitem__


def choice(
    key: str,
    label_key: str,
    options: list,
    *,
    format_key: str | None = None,
    default: int = 0,
    horizontal: bool = True,
    container=st,
):
    """A radio choice whose option labels come from the catalogue ("<format_key>.<option>")."""
    fmt = labels_now(options, (lambda o: t(f"{format_key}.{o}")) if format_key else str)
    return container.radio(t(label_key), options, index=default, key=key, format_func=fmt, horizontal=horizontal)


def show_error(error: LabError) -> None:
    """Any LabError, in the reader's language: its key names the message, its values fill it."""
    st.error(t(error.key, **error.values))
