"""Measure how long a page's script run takes after a slider move (AppTest, no browser).

    python scripts/rerun_times.py formula formula_i 8 9 10 11 12

Prints the median and every run in milliseconds. A measurement, not a test: timings belong in
docs/BENCHMARKS.md with the machine they were taken on.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(slug: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page(f"lessons/{slug}.py")
    at.run()
    return at


def main(slug: str, key: str, *values: str) -> None:
    at = open_page(slug)
    widget: Any = at.get_by_key(key)  # any keyed slider or select_slider
    runs = []
    for value in values:
        start = time.perf_counter()
        widget.set_value(type(widget.value)(value)).run()
        runs.append((time.perf_counter() - start) * 1000)
        widget = at.get_by_key(key)
    assert not at.exception, at.exception
    print(
        f"{slug}/{key}: median {statistics.median(runs):.0f} ms over {len(runs)} runs: "
        + ", ".join(f"{r:.0f}" for r in runs)
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # the app's own packages, as `streamlit run` would see them
    main(*sys.argv[1:])
