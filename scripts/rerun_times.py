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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.apptest_support import open_page  # noqa: E402


def main(slug: str, key: str, *values: str) -> None:
    at = open_page(slug, "en")
    widget = at.get_by_key(key)  # any keyed slider or select_slider
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
    main(*sys.argv[1:])
