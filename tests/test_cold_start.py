"""A cold server opened by a class at once: ten sessions over every lesson, zero errors (the real `streamlit run`,
driven over Streamlit's websocket protocol by scripts/load_test.py; untrained weights, nothing downloaded)."""

import pytest

from scripts.load_test import open_session, run_class, server

pytestmark = pytest.mark.slow


def test_ten_sessions_on_a_cold_server_all_finish_without_an_error():
    with server() as (url, proc, _healthy):
        results, memory = run_class(url, proc.pid, sessions=10, timeout=240)
        assert [(r.page, r.lang, r.failure, r.exceptions) for r in results if not r.ok] == []
        assert {r.page for r in results} >= {"overview", "formula", "aspp", "large_rates", "segment"}
        assert memory["after"] > 0
        # the overview is served without waiting for torch, and the server still answers afterwards
        again = open_session(url, "overview", "zh", timeout=60)
        assert again.ok and again.first_paint_s is not None
