"""Helpers for AppTest tests: open one page of the real app in one language."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.paths import ROOT


def open_page(slug: str, lang: str, *, timeout: float = 180) -> AppTest:
    """Run app.py with ?lang=<lang>, switch to lessons/<slug>.py and run it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(f"lessons/{slug}.py")
    at.run()
    return at
