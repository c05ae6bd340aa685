"""A class through a running front end (nginx and its replicas, deploy/run.sh): `scripts/load_test.py --url URL`.

Every session is a browser (deploy/sticky.py): its first request gets nginx's route cookie, then it opens the
websocket, runs a lesson, and uploads a photo to its session. Reported per page: first paint and finished p50/p95
and errors, as for one server (no server memory: the processes are not ours to measure); and the check this set-up
exists for: how many uploads were accepted by the replica holding their session, and how sessions spread.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from deploy.sticky import StickySession, browser_session
from lessons import available_lessons


def replica_routes(url: str, tries: int = 16) -> dict[str, str]:
    """{replica: a route cookie that reaches it}, found by asking nginx which replica each route maps to."""
    found: dict[str, str] = {}
    for i in range(tries):
        session = browser_session(url, "overview", route=f"warm-{i}")
        if session.socket_replica and session.socket_replica not in found:
            found[session.socket_replica] = f"warm-{i}"
    return found


def warm(url: str, timeout: float) -> int:
    """Open every lesson once on every replica (a route per replica); returns how many replicas were warmed."""
    routes = replica_routes(url)
    for route in routes.values():
        for lesson in available_lessons():
            browser_session(url, lesson.slug, route=route, timeout=timeout)
    return len(routes)


def run_class(url: str, sessions: int, timeout: float) -> list[StickySession]:
    """`sessions` new browsers at once, spread over every lesson and both languages, as scripts/load_test.py does."""
    slugs = [lesson.slug for lesson in available_lessons()]
    plan = [(slugs[i % len(slugs)], ("en", "zh")[(i // len(slugs)) % 2]) for i in range(sessions)]
    results: list[StickySession] = [StickySession(page, lang) for page, lang in plan]

    def one(i: int) -> None:
        results[i] = browser_session(url, *plan[i], timeout=timeout)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(results: list[StickySession]) -> str:
    lines = [
        "| page | sessions | first paint p50 / p95 (s) | finished p50 / p95 (s) | errors |",
        "|---|---|---|---|---|",
    ]
    for slug in dict.fromkeys(r.page for r in results):
        mine = [r for r in results if r.page == slug]
        paint = [r.first_paint_s for r in mine if r.first_paint_s is not None]
        finished = [r.finished_s for r in mine if r.finished_s is not None]
        fmt = lambda xs: f"{percentile(xs, 0.5):.1f} / {percentile(xs, 0.95):.1f}" if xs else "–"  # noqa: E731
        lines.append(f"| {slug} | {len(mine)} | {fmt(paint)} | {fmt(finished)} | {sum(not r.ok for r in mine)} |")
    every = [r.finished_s for r in results if r.finished_s is not None]
    if every:
        lines.append(
            f"\nall: {len(results)} sessions, {sum(not r.ok for r in results)} errors, finished p50 "
            f"{percentile(every, 0.5):.1f} s, p95 {percentile(every, 0.95):.1f} s, slowest {max(every):.1f} s"
        )
    sticky = sum(r.sticky for r in results)
    lines.append(
        f"uploads accepted by the replica holding their session (page, websocket and upload on one replica): "
        f"{sticky} of {len(results)}"
    )
    spread = Counter(r.socket_replica or "none" for r in results)
    lines.append("sessions per replica: " + ", ".join(f"{replica} {n}" for replica, n in sorted(spread.items())))
    for r in results:
        if not r.ok:
            where = f"page {r.page_replica}, socket {r.socket_replica}, upload {r.upload_replica} ({r.upload_status})"
            lines.append(f"  error on {r.page} ({r.lang}): {r.failure or ''} {' | '.join(r.exceptions)} [{where}]")
    return "\n".join(lines)


def main(url: str, sessions: int, timeout: float, warmed: bool) -> int:
    if warmed:
        print(f"warmed {warm(url, timeout)} replica(s): every lesson once on each", flush=True)
    start = time.monotonic()
    results = run_class(url, sessions, timeout)
    state = "warm" if warmed else "cold"
    print(f"{sessions} sessions through {url} ({state} replicas) in {time.monotonic() - start:.1f} s")
    print(report(results))
    return 0 if all(r.ok for r in results) else 1
