"""A cold server opened by a class at once: ten sessions over every lesson, zero errors (the real `streamlit run`,
driven over Streamlit's websocket protocol by scripts/load_test.py; untrained weights, nothing downloaded)."""

from scripts.app_server import app_server
from scripts.load_test import open_session, run_class


def test_ten_sessions_on_a_cold_server_all_finish_without_an_error(tmp_path):
    with app_server(workdir=tmp_path) as server:  # its own: the point is a cold one
        results, memory = run_class(server.url, server.process.pid, sessions=10, timeout=240)
        assert [(r.page, r.lang, r.failure, r.exceptions) for r in results if not r.ok] == []
        assert {r.page for r in results} >= {"overview", "formula", "aspp", "large_rates", "segment"}
        assert memory["after"] > 0
        # the overview is served without waiting for torch, and the server still answers afterwards
        again = open_session(server.url, "overview", "zh", timeout=60)
        assert again.ok and again.first_paint_s is not None
