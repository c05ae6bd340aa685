"""Helpers for AppTest tests: open one page of the real app in one language."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.paths import ROOT


def open_page(
    slug: str, lang: str, *, params: dict[str, str | list[str]] | None = None, timeout: float = 180
) -> AppTest:
    """Run app.py on lessons/<slug>.py with ?lang=<lang> (and `params`), as a browser opening that page's link
    does: one run of the router and that page only, not the home page first."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params["lang"] = lang
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page(f"lessons/{slug}.py")  # before the first run: the page the link names
    at.run()
    return at


def _in_order(node):
    """Every element under `node`, in the order the page shows them."""
    for child in getattr(node, "children", {}).values():
        if getattr(child, "children", None) is not None and child.type != "plotly_chart":
            yield from _in_order(child)
        else:
            yield child


def chart_titles(at: AppTest) -> list[str]:
    """Each chart's title as the page prints it: lessons.parts.ui.chart writes a figure's title in bold just above
    it (a plotly title does not wrap on a phone); a figure that keeps its own title (an animation) gives that."""
    import json
    import re

    titles, before = [], None
    for element in _in_order(at.main):
        if element.type == "plotly_chart":
            shown = re.fullmatch(r"(?::red\[)?\*\*(.+)\*\*\]?", getattr(before, "value", "") or "")
            own = json.loads(element.proto.spec)["layout"].get("title", {}).get("text")
            titles.append(shown.group(1).replace("\\*", "*") if shown else own)
        before = element
    return titles
