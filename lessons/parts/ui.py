"""Shared page chrome: text in the reader's language, the lesson skeleton (header, sections, what to notice, the
source), charts (projector styling in one place) and translated errors. The controls are in `widgets`."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from deeplab_core import i18n
from deeplab_core.errors import LabError
from deeplab_core.figures.sharing import private_copy, safe_to_draw
from deeplab_core.figures.style import WARNING, for_projector

PROJECTOR = "projector"  # the sidebar toggle's key, and so ?projector=true
LONG_PROSE = 600  # half-width characters: in projector mode a longer prose section folds into an expander


def language() -> str:
    return st.session_state.get("lang", i18n.DEFAULT_LANGUAGE)


def t(key: str, /, **values: object) -> str:
    """A UI string in the reader's language."""
    return i18n.text(key, language(), **values)


def nav_title(lesson: str) -> str:
    """The lesson's name in the sidebar navigation: `<lesson>.nav_title` where the title is too long to fit."""
    key = f"{lesson}.nav_title"
    return t(key) if key in i18n.catalogue(language()) else t(f"{lesson}.title")


def prose(lesson: str, section: str, /, **values: object) -> str:
    """A prose section in the reader's language; `values` fill its [[value:NAME]] placeholders (numbers the
    page computed with core functions, never typed in the prose)."""
    return i18n.section(lesson, language(), section, **values)


def header(lesson: str, /, **values: object) -> None:
    """Title and the short intuition every lesson opens with."""
    st.session_state["_lesson"] = lesson  # the lesson the widget helpers register their keys under (and reset)
    st.title(t(f"{lesson}.title"))
    st.markdown(prose(lesson, "intuition", **values))


def section(lesson: str, name: str, /, **values: object) -> None:
    """A prose section; in projector mode a long one folds into an expander, so the figures stay on screen."""
    text = prose(lesson, name, **values)
    if projector() and sum(2 if ord(c) >= 0x2E80 else 1 for c in text) > LONG_PROSE:  # a CJK character is wide
        with st.expander(t("common.read_more", title=_first_line(text)), expanded=False):
            st.markdown(text)
    else:
        st.markdown(text)


def _first_line(markdown: str) -> str:
    line = next((s for s in markdown.splitlines() if s.strip()), "").lstrip("#").strip()
    return line if len(line) <= 60 else line[:57] + "…"


def what_to_notice(lesson: str, /, **values: object) -> None:
    st.subheader(t("common.what_to_notice"))
    st.markdown(prose(lesson, "notice", **values))


def show_source(*functions: Callable) -> None:
    """An expander with the source of the core functions this lesson demonstrates."""
    with st.expander(t("common.show_source")):
        for fn in functions:
            st.caption(f"`{fn.__module__}.{fn.__qualname__}`")
            st.code(inspect.getsource(fn), language="python")


def projector() -> bool:
    """Projector mode: the sidebar toggle (or ?projector=true in the link)."""
    return bool(st.session_state.get(PROJECTOR, False))


def dark_theme() -> bool:
    """True when the browser shows Streamlit's dark theme (the app follows the reader's light or dark setting)."""
    theme = getattr(st.context, "theme", None)
    return getattr(theme, "type", None) == "dark"


def chart(fig, key: str, *, container=st, **kwargs: Any) -> None:
    """Every lesson's plotly figure goes through here: its title taken out and printed above it (a plotly title
    never wraps, so on a phone it ran off the chart and under the legend), projector styling when asked for, and
    the chart's toolbar only on hover (on a touch screen, where a tap is a hover, page_style hides it: a double tap
    still resets a zoom)."""
    fig, title, warning = _title_out(fig)
    if title:
        container.markdown(f":red[**{title}**]" if warning else f"**{title}**")
    fig = safe_to_draw(fig, restyled=projector())  # a cached figure is drawn by many sessions at once (sharing.py)
    if projector():
        fig = for_projector(fig, dark=dark_theme())
    config = {"displaylogo": False, "displayModeBar": "hover", **kwargs.pop("config", {})}
    container.plotly_chart(fig, key=key, config=config, **kwargs)


def _title_out(fig: Any) -> tuple[Any, str | None, bool]:
    """(figure without its title, the title as Markdown text, whether it was drawn as a warning). An animation
    whose frames retitle it keeps its title (it changes with the frame), as does a figure given as a dict."""
    if not isinstance(fig, go.Figure) or not fig.layout.title.text:
        return fig, None, False
    if any(frame.layout.title.text for frame in fig.frames):
        return fig, None, False
    title = re.sub(r"<br\s*/?>", " ", fig.layout.title.text)
    title = re.sub(r"<[^>]+>", "", title).replace("*", "\\*")  # plotly's markup out; Markdown's stars kept literal
    warning = fig.layout.title.font.color == WARNING
    shown = private_copy(fig)  # the figure may be cached for every session: never changed, nor copied by plotly
    shown.layout.title = None  # type: ignore[union-attr]  # a Figure in, a Figure out
    return shown, title, warning


# On a phone or a touch screen the plotly toolbar (and Streamlit's own, over a chart or a table) would cover a title
# or the labels of the element above at every tap. A metric's label, a page link or a button's text wraps instead
# of ending in an ellipsis (text is wider in projector mode, columns narrower on a phone). In projector mode the
# page's own small text (captions, widget labels and options, folded sections, tables) is set to the body size and
# full ink, like the charts' text (figures.style.for_projector): grey 14 px does not carry to the back of a room.
TOUCH_CSS = """
@media (hover: none), (max-width: 640px) {
  .js-plotly-plot .modebar-container, [data-testid=stMain] [data-testid=stElementToolbar] { display: none !important; }
}
@media (max-width: 640px) { [data-testid=stMarkdownContainer] table { display: block; overflow-x: auto; } }
[data-testid=stSidebar] [data-testid=stCode] pre { padding: 0.35rem 2.4rem 0.35rem 0.6rem !important; }
[data-testid=stMain] :is([data-testid=stMetricLabel], [data-testid=stPageLink], button) :is(p, span, div) {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
"""
_SMALL = (
    "[data-testid=stCaptionContainer], [data-testid=stWidgetLabel], [data-testid=stMetricLabel], "
    "[data-testid=stExpander] summary, [data-testid=stSliderTickBar], [data-testid=stSliderThumbValue], "
    "[data-testid=stTable], [data-tag], [data-testid=stRadio] label, [data-baseweb=select], [data-testid=stPageLink], "
    "[data-testid=stMetricDelta], button, small"
)
PROJECTOR_CSS = f"""
[data-testid=stMain] :is({_SMALL}), [data-testid=stMain] :is({_SMALL}) * {{ font-size: 1rem !important; }}
[data-testid=stMain] [data-testid=stCaptionContainer] {{ color: inherit !important; opacity: 1 !important; }}
"""


def page_style() -> None:
    """The page's own CSS, once per run: the toolbar off on touch screens, and projector mode's text size."""
    st.html(f"<style>{TOUCH_CSS}{PROJECTOR_CSS if projector() else ''}</style>")


def show_error(error: LabError) -> None:
    """Any LabError, in the reader's language: its key names the message, its values fill it."""
    st.error(t(error.key, **error.values))
