"""Typed widget helpers, so lessons never copy-paste slider blocks; and this view as a link.

A link is a view: every control made here is bound to the URL (`bind="query-params"`: the widget key is the query
parameter, a value equal to the default is left out, an invalid one is dropped) and kept for the session
(`persist_state="session"`: leaving a lesson and coming back finds it as it was). Keys are short and unique across
lessons, since session state is global. Each lesson registers its keys and defaults, so its reset button knows
them; choices whose labels are translated are re-labelled in the URL when the language changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import streamlit as st

from lessons.parts.ui import PROJECTOR, language, projector, t

BOUND: dict[str, Any] = {"bind": "query-params", "persist_state": "session"}  # a link is a view
VIEW_KEYS = "_view_keys"  # session state: lesson -> {widget key: default}, for the reset button
LINK_VALUES = "_link_values"  # session state: lesson -> {widget key: [URL values]} of controls off their default
RELABEL_KEYS = "_relabel_keys"  # session state: keys of bound choices whose URL value is a translated label
T = TypeVar("T")


def _register(key: str, default: object, *, relabel: bool = False) -> None:
    """Remember this lesson's widget key and default (for reset) and whether its URL value is a translated label."""
    st.session_state.setdefault(VIEW_KEYS, {}).setdefault(st.session_state.get("_lesson", ""), {})[key] = default
    if relabel:
        st.session_state.setdefault(RELABEL_KEYS, set()).add(key)


def _url_value(value: object, fmt: Callable[[Any], str]) -> str:
    """A value as Streamlit writes it in the URL: true/false, a number, or a choice's label."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    return fmt(value)


def _shown(key: str, value: T, default: object, fmt: Callable[[Any], str] = str) -> T:
    """Note the widget's value for this lesson's link (left out at its default, as in the URL); returns it.
    The link is built from these, not from the address bar, which can lag behind a widget in Streamlit 1.67."""
    store = st.session_state.setdefault(LINK_VALUES, {}).setdefault(st.session_state.get("_lesson", ""), {})
    if value == default:
        store.pop(key, None)
    else:
        store[key] = [_url_value(v, fmt) for v in value] if isinstance(value, list) else [_url_value(value, fmt)]
    return value


def _drop_invalid(key: str, valid: Callable[[object], bool]) -> None:
    """A value kept from earlier (another range, another model's options) that no longer fits goes back to the
    default instead of raising: stale state never breaks a page."""
    if key in st.session_state and not valid(st.session_state[key]):
        del st.session_state[key]


def _help(help_key: str | None, values: dict[str, object] | None = None) -> str | None:
    return t(help_key, **(values or {})) if help_key else None


def int_slider(
    key: str, label_key: str, low: int, high: int, default: int, *, help_key: str | None = None, container: Any = st
) -> int:
    """An integer slider with a stable key and a translated label, bound to the URL (?key=value)."""
    _drop_invalid(key, lambda v: isinstance(v, int) and low <= v <= high)
    _register(key, default)
    value = container.slider(
        t(label_key), min_value=low, max_value=high, value=default, step=1, key=key, help=_help(help_key), **BOUND
    )
    return int(_shown(key, value, default))


def float_slider(
    key: str, label_key: str, low: float, high: float, default: float, step: float, *, container: Any = st
) -> float:
    """A slider of decimals, bound to the URL like `int_slider`."""
    _drop_invalid(key, lambda v: isinstance(v, float | int) and low <= v <= high)
    _register(key, default)
    return float(_shown(key, container.slider(t(label_key), low, high, default, step, key=key, **BOUND), default))


def toggle(
    key: str, label_key: str, *, default: bool = False, help_key: str | None = None, container: Any = st
) -> bool:
    """A switch bound to the URL (?key=true / ?key=false; the default is left out)."""
    _drop_invalid(key, lambda v: isinstance(v, bool))
    _register(key, default)
    return bool(
        _shown(key, container.toggle(t(label_key), value=default, key=key, help=_help(help_key), **BOUND), default)
    )


def labels_now(options: Sequence[T], label: Callable[[T], str]) -> Callable[[T], str]:
    """A format_func whose labels are built now, in the script run: AppTest formats options outside the
    run, where a lazy lookup would not know the reader's language."""
    return {option: label(option) for option in options}.__getitem__


def _formatter(
    options: Sequence[T], format_key: str | None, label: Callable[[T], str] | None
) -> tuple[Callable[[T], str], bool]:
    if label is not None:
        return labels_now(options, label), True
    if format_key:
        return labels_now(options, lambda o: t(f"{format_key}.{o}")), True
    return str, False


def choice(
    key: str,
    label_key: str,
    options: Sequence[T],
    *,
    format_key: str | None = None,
    label: Callable[[T], str] | None = None,
    default: int = 0,
    horizontal: bool = True,
    help_key: str | None = None,
    help_values: dict[str, object] | None = None,
    container: Any = st,
) -> T:
    """A radio choice whose option labels come from the catalogue ("<format_key>.<option>") or from `label`;
    the URL holds the option's label."""
    options = list(options)
    fmt, translated = _formatter(options, format_key, label)
    _drop_invalid(key, lambda v: v in options)
    _register(key, options[default], relabel=translated)
    value = container.radio(
        t(label_key),
        options,
        index=default,
        key=key,
        format_func=fmt,
        horizontal=horizontal,
        help=_help(help_key, help_values),
        **BOUND,
    )
    return _shown(key, value, options[default], fmt)


def selectbox(
    key: str,
    label_key: str,
    options: Sequence[T],
    *,
    format_key: str | None = None,
    label: Callable[[T], str] | None = None,
    default: int = 0,
    help_key: str | None = None,
    label_values: dict[str, object] | None = None,
    container: Any = st,
) -> T:
    """A drop-down list bound to the URL, labelled like `choice`."""
    options = list(options)
    fmt, translated = _formatter(options, format_key, label)
    _drop_invalid(key, lambda v: v in options)
    _register(key, options[default], relabel=translated)
    value = container.selectbox(
        t(label_key, **(label_values or {})),
        options,
        index=default,
        key=key,
        format_func=fmt,
        help=_help(help_key),
        **BOUND,
    )
    return _shown(key, value, options[default], fmt)


def multiselect(
    key: str,
    label_key: str,
    options: Sequence[T],
    *,
    default: Sequence[T] = (),
    label: Callable[[T], str] | None = None,
    help_key: str | None = None,
    container: Any = st,
) -> list[T]:
    """Several options at once, bound to the URL as a repeated parameter (?key=a&key=b)."""
    options = list(options)
    fmt, translated = _formatter(options, None, label)
    _drop_invalid(key, lambda v: isinstance(v, list) and all(o in options for o in v))
    _register(key, list(default), relabel=translated)
    value = container.multiselect(
        t(label_key), options, default=list(default), key=key, format_func=fmt, help=_help(help_key), **BOUND
    )
    return _shown(key, value, list(default), fmt)


def relabel_choices() -> None:
    """on_change of the language switch: give each bound, translated choice its own value again, so the URL
    carries its label in the new language (a link opened later then restores it)."""
    for key in st.session_state.get(RELABEL_KEYS, set()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _reset(lesson: str) -> None:
    for key, default in st.session_state.get(VIEW_KEYS, {}).get(lesson, {}).items():
        st.session_state[key] = default  # a default value also leaves the URL


def view_tools() -> None:
    """In the sidebar, called by the router once the page has run (by then every bound widget has dropped an
    invalid value from the URL and written its own): this view as a link to copy (page, language, projector mode
    and every control), and a button that puts this lesson's controls back to their defaults."""
    lesson = st.session_state.pop("_lesson", None)  # set by this run's header(); a page without one has no tools
    if lesson is None:
        return
    box = st.sidebar.container(border=True)
    box.caption(t("common.link_caption"))
    box.code(current_link(lesson), language=None, wrap_lines=True)
    box.button(
        t("common.reset"),
        key=f"reset_{lesson}",
        on_click=_reset,
        args=(lesson,),
        icon=":material/restart_alt:",
        width="stretch",
    )


def current_link(lesson: str) -> str:
    """This page's URL with the language, projector mode and every control of `lesson` that is off its default."""
    base = (getattr(st.context, "url", None) or "").split("?")[0]
    params = [("lang", language())] + ([(PROJECTOR, "true")] if projector() else [])
    values = st.session_state.get(LINK_VALUES, {}).get(lesson, {})
    params += [(key, value) for key, listed in values.items() for value in listed]
    return f"{base}?{urlencode(params)}"
