"""Typed widget helpers, so lessons never copy-paste slider blocks; every control is part of the view's link.

A link is a view, and a view does not depend on the reader's language. Numbers and switches are bound to the
URL by Streamlit (`bind="query-params"`: the widget key is the query parameter, a value equal to the default is
left out, an invalid one is dropped). A choice is not: Streamlit would write the option's *label* into the URL,
which is translated, so a Chinese link opened in English would not be understood. Choices therefore keep their
value for the session (`persist_state="session"`) and this module reads and writes their URL parameter itself,
as the option's key ("gridding", "16", "resnet50"), the same in every language. Every control is kept for the
session: leaving a lesson and coming back finds it as it was. Keys are short and unique across lessons, since
session state is global; each lesson registers its keys and defaults, so its reset button knows them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

from lessons.parts.ui import language, t

BOUND: dict[str, Any] = {"bind": "query-params", "persist_state": "session"}  # numbers and switches
KEPT: dict[str, Any] = {"persist_state": "session"}  # choices: their URL parameter is written here
VIEW_KEYS = "_view_keys"  # session state: lesson -> {widget key: default}, for the reset button
LINK_VALUES = "_link_values"  # session state: lesson -> {widget key: [URL values]} of controls off their default
CHOICE_KEYS = "_choice_keys"  # session state: every choice key whose URL parameter this module writes
DRAWN_IN = "_drawn_in"  # session state: choice key -> the language its labels were last drawn in
T = TypeVar("T")


def _lesson() -> str:
    return str(st.session_state.get("_lesson", ""))


def _register(key: str, default: object, *, reset: bool = True) -> None:
    """Remember this lesson's widget key and default, for the reset button (`reset=False`: a session-wide
    decision that the lesson's reset leaves alone)."""
    if reset:
        st.session_state.setdefault(VIEW_KEYS, {}).setdefault(_lesson(), {})[key] = default


def url_value(value: object) -> str:
    """A value as the link writes it: true/false, a number, or a choice's option key; never a translated label."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _shown(key: str, value: T, default: object) -> T:
    """Note the widget's value for this lesson's link (left out at its default, as in the URL); returns it.
    The link is built from these, not from the address bar, which can lag behind a widget in Streamlit 1.67."""
    store = st.session_state.setdefault(LINK_VALUES, {}).setdefault(_lesson(), {})
    if value == default:
        store.pop(key, None)
    else:
        store[key] = [url_value(v) for v in value] if isinstance(value, list) else [url_value(value)]
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
    key: str,
    label_key: str,
    *,
    default: bool = False,
    help_key: str | None = None,
    container: Any = st,
    reset: bool = True,
    on_change: Callable[[], None] | None = None,
) -> bool:
    """A switch bound to the URL (?key=true / ?key=false; the default is left out)."""
    _drop_invalid(key, lambda v: isinstance(v, bool))
    _register(key, default, reset=reset)
    value = container.toggle(t(label_key), value=default, key=key, help=_help(help_key), on_change=on_change, **BOUND)
    return bool(_shown(key, value, default))


def labels_now(options: Sequence[T], label: Callable[[T], str]) -> Callable[[T], str]:
    """A format_func whose labels are built now, in the script run: AppTest formats options outside the
    run, where a lazy lookup would not know the reader's language."""
    return {option: label(option) for option in options}.__getitem__


def _formatter(options: Sequence[T], format_key: str | None, label: Callable[[T], str] | None) -> Callable[[T], str]:
    if label is not None:
        return labels_now(options, label)
    if format_key:
        return labels_now(options, lambda o: t(f"{format_key}.{o}"))
    return str


def _from_link(key: str, options: Sequence[Any], *, many: bool = False) -> None:
    """The first time this session draws the choice: the option(s) the link names, by key. Afterwards the
    session's own value wins, as for Streamlit's bound widgets."""
    if key in st.session_state or key not in st.query_params:
        return
    by_key = {url_value(o): o for o in options}
    raw = st.query_params.get_all(key)
    if many:
        picked = [by_key[r] for r in dict.fromkeys(raw) if r in by_key]
        if picked or raw == [""]:  # `?key=` is an empty selection
            st.session_state[key] = picked
    elif raw[-1] in by_key:
        st.session_state[key] = by_key[raw[-1]]
    # anything else (a label, garbage) is left out: the default, and the URL parameter goes in _to_link


def _same_in_every_language(key: str) -> None:
    """The browser knows a choice's value only by its label: after a language switch its radio would find no
    option with the old label and show none chosen, though the value is kept. So a choice drawn in another
    language before is handed its value again (as the option), and Streamlit sends the new label along."""
    drawn = st.session_state.setdefault(DRAWN_IN, {})
    if key in st.session_state and drawn.get(key, language()) != language():
        st.session_state[key] = st.session_state[key]
    drawn[key] = language()


def _to_link(key: str, value: object, default: object) -> None:
    """Write the choice into the address bar as its option key(s); at its default the parameter leaves it."""
    st.session_state.setdefault(CHOICE_KEYS, set()).add(key)
    have = st.query_params.get_all(key)
    if value == default:
        if have:
            del st.query_params[key]
        return
    want = [url_value(v) for v in value] if isinstance(value, list) else [url_value(value)]
    if have != (want or [""]):  # each write sends the whole query string to the browser: only when it changes
        st.query_params[key] = want if len(want) > 1 else (want[0] if want else "")


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
    the URL holds the option itself (its key), never its label."""
    options = list(options)
    _drop_invalid(key, lambda v: v in options)
    _from_link(key, options)
    _same_in_every_language(key)
    _register(key, options[default])
    value = container.radio(
        t(label_key),
        options,
        index=default,
        key=key,
        format_func=_formatter(options, format_key, label),
        horizontal=horizontal,
        help=_help(help_key, help_values),
        **KEPT,
    )
    _to_link(key, value, options[default])
    return _shown(key, value, options[default])


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
    """A drop-down list, in the link by its option key like `choice`."""
    options = list(options)
    _drop_invalid(key, lambda v: v in options)
    _from_link(key, options)
    _same_in_every_language(key)
    _register(key, options[default])
    value = container.selectbox(
        t(label_key, **(label_values or {})),
        options,
        index=default,
        key=key,
        format_func=_formatter(options, format_key, label),
        help=_help(help_key),
        **KEPT,
    )
    _to_link(key, value, options[default])
    return _shown(key, value, options[default])


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
    """Several options at once, in the link as a repeated parameter of option keys (?key=a&key=b)."""
    options = list(options)
    _drop_invalid(key, lambda v: isinstance(v, list) and all(o in options for o in v))
    _from_link(key, options, many=True)
    _same_in_every_language(key)
    _register(key, list(default))
    value = container.multiselect(
        t(label_key),
        options,
        default=list(default),
        key=key,
        format_func=_formatter(options, None, label),
        help=_help(help_key),
        **KEPT,
    )
    _to_link(key, list(value), list(default))
    return _shown(key, list(value), list(default))
