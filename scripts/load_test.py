"""Load-test the real server: N sessions at once over every lesson, speaking Streamlit's own websocket protocol.

    python scripts/load_test.py --sessions 10            # a fresh `streamlit run app.py`, cold, untrained weights
    python scripts/load_test.py --sessions 30 --warm     # one warm-up session per lesson first, then the class
    python scripts/load_test.py --cold-starts 5          # first paint of the overview after a server start, ×5
    python scripts/load_test.py --url http://host:8080 --sessions 60   # a running front end (deploy/run.sh)
    python scripts/load_test.py --sessions 50 --rounds 3 # three cold servers, 50 sessions each (issue 23)
    python scripts/load_test.py --watch 30 --trainings 3 # a formula slider while 30 tabs watch 3 trainings
    python scripts/load_test.py --quota                  # the train queue's per-student share and cancellation
    python scripts/load_test.py --uploads 10             # memory of 10 upload sessions, and after they close

Each session is a thread with a websocket client that does what a browser tab does on opening a page: it sends
one `rerun_script` BackMsg (the page's url path, ?lang=en or zh) and reads ForwardMsgs until `script_finished`.
Sessions are spread over every lesson and both languages; the segment page runs untrained MobileNetV3 weights
(ATROUS_LAB_WEIGHTS=random) on its default sample photo. Reported per page: p50/p95 seconds to the first element
of the main area ("first paint") and to the finished script, and errors (an exception element, a failed run, or
a timeout); and the server's resident memory (RSS) before the sessions, at its peak, and after they closed. A
measurement, not a test: numbers go to docs/BENCHMARKS.md with the machine and its load (tests/test_cold_start.py
reuses `run_class` and `open_session`). The server is started by scripts/app_server.py, as the browser tests start
theirs, with `--server.fileWatcherType none`, as a classroom server should (--watcher auto: Streamlit's default,
which watches the whole source tree).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lessons import available_lessons  # noqa: E402
from scripts.app_server import app_server  # noqa: E402

MIB = 2**20


@dataclass
class SessionResult:
    page: str
    lang: str
    first_paint_s: float | None = None  # first element drawn in the page's main area (not the sidebar)
    finished_s: float | None = None  # script_finished received
    exceptions: list[str] = field(default_factory=list)
    failure: str | None = None  # the run did not finish (timeout, closed, compile error)

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.exceptions


def open_session(base_url: str, page: str, lang: str = "en", timeout: float = 180) -> SessionResult:
    """One tab: open `page` in `lang`, wait for its script to finish, report times and errors."""
    result = SessionResult(page, lang)
    ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    start = time.monotonic()
    try:
        with connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None, open_timeout=timeout) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = f"lang={lang}"
            msg.rerun_script.page_name = page
            ws.send(msg.SerializeToString())
            deadline = start + timeout
            while True:
                forward = ForwardMsg()
                forward.ParseFromString(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
                kind = forward.WhichOneof("type")
                if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                    if result.first_paint_s is None and forward.metadata.delta_path[:1] == [0]:  # main, not sidebar
                        result.first_paint_s = time.monotonic() - start
                    element = forward.delta.new_element
                    if element.WhichOneof("type") == "exception":
                        result.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
                elif kind == "script_finished":
                    status = forward.script_finished
                    if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                        result.finished_s = time.monotonic() - start
                        return result
                    if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        result.failure = "compile error"
                        return result
    except TimeoutError:
        result.failure = f"no script_finished within {timeout:.0f} s"
    except Exception as exc:  # a closed or refused connection is a result to report, not a crash of the tool
        result.failure = f"{type(exc).__name__}: {exc}"
    return result


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def run_class(url: str, pid: int, sessions: int, timeout: float) -> tuple[list[SessionResult], dict[str, int]]:
    """`sessions` tabs opened at once, spread over every lesson and both languages; memory sampled meanwhile."""
    slugs = [lesson.slug for lesson in available_lessons()]
    plan = [(slugs[i % len(slugs)], ("en", "zh")[(i // len(slugs)) % 2]) for i in range(sessions)]
    memory = {"before": rss_bytes(pid), "peak": 0}
    results: list[SessionResult] = [None] * sessions  # type: ignore[list-item]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            memory["peak"] = max(memory["peak"], rss_bytes(pid))

    def one(i: int) -> None:
        results[i] = open_session(url, *plan[i], timeout=timeout)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    time.sleep(3)  # the server forgets closed sessions' script threads
    memory["after"] = rss_bytes(pid)
    memory["peak"] = max(memory["peak"], memory["after"])
    return results, memory


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(results: list[SessionResult], memory: dict[str, int]) -> str:
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
    lines.append(
        f"\nall: {len(results)} sessions, {sum(not r.ok for r in results)} errors, finished p50 "
        f"{percentile(every, 0.5):.1f} s, p95 {percentile(every, 0.95):.1f} s, slowest {max(every):.1f} s"
        if every
        else "\nall: no session finished"
    )
    lines.append(
        f"server RSS: {memory['before'] / MIB:.0f} MiB before, {memory['peak'] / MIB:.0f} MiB peak, "
        f"{memory['after'] / MIB:.0f} MiB after"
    )
    for r in results:
        if not r.ok:
            lines.append(f"  error on {r.page} ({r.lang}): {r.failure or ''} {' | '.join(r.exceptions)}")
    return "\n".join(lines)


def cold_starts(times: int, timeout: float, watcher: str = "none") -> str:
    """The overview's first paint and finished script, counted from the health check answering."""
    paints, finishes = [], []
    for _ in range(times):
        with app_server(watcher=watcher) as server:
            lag = time.monotonic() - server.healthy_at  # health answered → the tab opens
            result = open_session(server.url, "overview", "en", timeout)
            if not result.ok or result.first_paint_s is None or result.finished_s is None:
                return f"cold start failed: {result.failure} {result.exceptions}"
            paints.append(result.first_paint_s + lag)
            finishes.append(result.finished_s + lag)
    return (
        f"overview after a cold start, from the health check (n={times}): first paint median "
        f"{statistics.median(paints):.2f} s {[round(p, 2) for p in paints]}, finished median "
        f"{statistics.median(finishes):.2f} s {[round(f, 2) for f in finishes]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--warm", action="store_true", help="open every lesson once before the class arrives")
    parser.add_argument("--cold-starts", type=int, default=0, help="measure the overview's first paint N times")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--watcher", default="none", help="server.fileWatcherType: none (a class) or auto (dev)")
    parser.add_argument("--url", help="a running server instead of a fresh one, e.g. nginx before replicas (deploy/)")
    parser.add_argument("--rounds", type=int, default=1, help="the class N times, each on a fresh server")
    parser.add_argument("--watch", type=int, default=0, help="N tabs watching --trainings trainings; a slider moves")
    parser.add_argument("--trainings", type=int, default=3)
    parser.add_argument("--moves", type=int, default=20, help="slider moves measured, idle and under the class")
    parser.add_argument("--quota", action="store_true", help="one student's share of the train queue; cancelling")
    parser.add_argument("--uploads", type=int, default=0, help="N sessions upload a camera photo: server memory")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    if args.url:  # sessions as browsers (cookies, an upload each), checked for stickiness: deploy/class_run.py
        from deploy.class_run import main as through

        status = through(args.url, args.sessions, args.timeout, args.warm)
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        return status
    if args.cold_starts:
        print(cold_starts(args.cold_starts, args.timeout, args.watcher))
        return 0
    if args.watch or args.quota or args.uploads:
        return scenarios(args)
    failed = 0
    for round_ in range(1, args.rounds + 1):
        with app_server(watcher=args.watcher) as server:
            if args.warm:
                for lesson in available_lessons():
                    open_session(server.url, lesson.slug, "en", args.timeout)
            start = time.monotonic()
            results, memory = run_class(server.url, server.process.pid, args.sessions, args.timeout)
            state = "warm" if args.warm else "cold"
            print(f"round {round_}: {args.sessions} sessions ({state} server) in {time.monotonic() - start:.1f} s")
            print(report(results, memory), flush=True)
            failed += sum(not r.ok for r in results)
    print(f"errors in {args.rounds} round(s): {failed}; load average {os.getloadavg()[0]:.2f} at the end")
    return 0 if failed == 0 else 1


def scenarios(args: argparse.Namespace) -> int:
    """Issue 23's class scenarios (scripts/load_scenarios.py, scripts/load_memory.py), each on a fresh server."""
    from scripts.load_memory import uploads_and_memory
    from scripts.load_scenarios import quota_and_cancel, watch_and_slide

    if args.watch:
        with app_server(watcher=args.watcher) as server:
            print(watch_and_slide(server.url, args.watch, args.trainings, args.moves, args.timeout), flush=True)
    if args.quota:
        with app_server(watcher=args.watcher) as server:
            print(quota_and_cancel(server.url, server.process.pid, args.timeout), flush=True)
    if args.uploads:
        with app_server(watcher=args.watcher) as server:
            print(uploads_and_memory(server.url, server.process.pid, args.uploads, args.timeout), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
