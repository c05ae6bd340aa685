"""How often a page watching a shared job refreshes: bounded for the whole server, not per watcher.

A watching page (the train lab's live view) refreshes by a Streamlit fragment rerun, in the server's one Python
process, which the training thread shares. At a fixed 3 s, 30 watchers queued every refresh, and the formula
slider of the rest of the room, behind each other (p95 6.5 s, docs/BENCHMARKS.md). So the interval grows with the
number watching: together they refresh at most VIEW_RERUNS_PER_S times a second.
"""

from __future__ import annotations

VIEW_S = 3.0  # one watching page's refresh, while few watch
VIEW_RERUNS_PER_S = 3.0  # all watching pages' refreshes together, server-wide


def view_interval(watchers: int) -> float:
    """Seconds between one watching page's refreshes when `watchers` sessions watch: VIEW_S for a few, longer for a
    class (30 watchers: 10 s)."""
    return max(VIEW_S, watchers / VIEW_RERUNS_PER_S)
