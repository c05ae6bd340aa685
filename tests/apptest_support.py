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
