"""The class scenarios of issue 23, for scripts/load_test.py: sessions that stay open and act as browser tabs do.

`Tab` speaks Streamlit's websocket protocol like the browser: it opens a page (a `rerun_script` BackMsg with the
page and its query string), presses a button or moves a slider (the widget's state, found by its key in the
element ids the server sent), and reruns a fragment when the server asks for it (an `auto_rerun` ForwardMsg: the
browser, not the server, reruns `st.fragment(run_every=…)`), so a watching tab costs the server what a real one
does. The scenarios:

- `watch_and_slide`: K sessions start a training each, the rest of N join them and watch, and one more session moves
  the formula lesson's slider: the seconds from each move to its finished rerun, idle first, then under the class.
- `quota_and_cancel`: one session asks for six runs (refused: a third of the queue), then for its share; it closes
  and the server's CPU time shows when its training stopped.
"""

from __future__ import annotations

import http.cookies
import os
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    seconds: float | None = None  # None: it did not finish
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error texts (translated refusals)


class Tab:
    """One browser tab: a websocket session on one page."""

    def __init__(self, base_url: str, page: str, query: str, timeout: float = 300) -> None:
        self.page, self.query, self.timeout = page, query, timeout
        self.base = base_url.rstrip("/")
        with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=timeout) as response:  # the XSRF cookie
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
        self.cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
        self.xsrf = jar["_streamlit_xsrf"].value if "_streamlit_xsrf" in jar else ""
        protocols = [Subprotocol("streamlit"), *([Subprotocol(self.xsrf)] if self.xsrf else [])]
        self.ws: ClientConnection = connect(
            self.base.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=protocols,
            additional_headers={"Cookie": self.cookie},
            max_size=None,
            open_timeout=timeout,
        )
        self.session_id = ""
        self.widgets: dict[str, object] = {}  # widget id -> its element proto
        self.fragments: dict[str, float] = {}  # fragment id -> interval (s), while the server wants reruns
        self.lock = threading.Lock()  # one rerun at a time on this socket

    def close(self) -> None:
        self.ws.close()

    def widget(self, key: str) -> tuple[str, object]:
        """(id, proto) of the widget whose key is `key` (Streamlit puts the user's key at the end of the id)."""
        return next((wid, proto) for wid, proto in self.widgets.items() if wid.endswith(f"-{key}"))

    def rerun(self, states: Callable[[BackMsg], None] = lambda msg: None, fragment: str = "") -> Run:
        """One rerun (the whole page, or one fragment), waited for until script_finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_name = self.page
        if fragment:
            msg.rerun_script.fragment_id = fragment
            msg.rerun_script.is_auto_rerun = True
        states(msg)
        with self.lock:
            start, run = time.monotonic(), Run()
            self.ws.send(msg.SerializeToString())
            deadline = start + self.timeout
            whole_page = not fragment  # a fragment's run also begins with new_session, and keeps the fragments
            while True:
                forward = ForwardMsg()
                forward.ParseFromString(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
                self._note(forward, run, whole_page)
                if forward.WhichOneof("type") == "script_finished":
                    status = forward.script_finished
                    if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        whole_page = True  # st.rerun(): the whole page runs next, in the same answer
                        continue
                    if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                        run.seconds = time.monotonic() - start
                    return run

    def _note(self, forward: ForwardMsg, run: Run, whole_page: bool) -> None:
        kind = forward.WhichOneof("type")
        if kind == "new_session":  # every run begins so; a whole page's run registers its fragments again
            if whole_page:
                self.fragments.clear()
            self.session_id = forward.new_session.initialize.session_id or self.session_id
        elif kind == "auto_rerun":
            self.fragments[forward.auto_rerun.fragment_id] = forward.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.fragments.clear()
        elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            element = forward.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                run.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
            elif which == "alert" and element.alert.format == element.alert.ERROR:
                run.errors.append(element.alert.body)
            elif which in ("button", "slider", "multiselect", "file_uploader"):
                proto = getattr(element, which)
                self.widgets[proto.id] = proto

    def press(self, key: str) -> Run:
        wid, _ = self.widget(key)

        def states(msg: BackMsg) -> None:
            msg.rerun_script.widget_states.widgets.add(id=wid, trigger_value=True)

        return self.rerun(states)

    def slide(self, key: str, value: float) -> Run:
        wid, _ = self.widget(key)

        def states(msg: BackMsg) -> None:
            msg.rerun_script.widget_states.widgets.add(id=wid).double_array_value.data.append(value)

        return self.rerun(states)

    def upload(self, key: str, name: str, data: bytes) -> Run:
        """Upload `data` to the file uploader `key` as the browser does (a PUT of the file to this session, then a
        rerun whose widget state names it), and wait for the page's run."""
        wid, _ = self.widget(key)
        file_id = uuid.uuid4().hex
        path = f"/_stcore/upload_file/{self.session_id}/{file_id}"
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
        headers = {
            "Cookie": self.cookie,
            "X-Xsrftoken": self.xsrf,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        request = urllib.request.Request(self.base + path, data=body, method="PUT", headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout):
            pass

        def states(msg: BackMsg) -> None:
            state = msg.rerun_script.widget_states.widgets.add(id=wid).file_uploader_state_value
            info = state.uploaded_file_info.add(file_id=file_id, name=name, size=len(data))
            info.file_urls.file_id, info.file_urls.upload_url, info.file_urls.delete_url = file_id, path, path

        return self.rerun(states)

    def watch(self, stop: threading.Event, runs: list[Run]) -> None:
        """Rerun the fragments the server asked for, at their intervals, until `stop` (what a watching tab does)."""
        due: dict[str, float] = {}
        while not stop.is_set():
            now = time.monotonic()
            for fragment, interval in list(self.fragments.items()):
                if now >= due.setdefault(fragment, now + interval):
                    runs.append(self.rerun(fragment=fragment))
                    due[fragment] = time.monotonic() + interval
            stop.wait(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def slider_times(url: str, moves: int, timeout: float) -> list[float]:
    """Seconds from each move of the formula lesson's dilation slider (key "d") to its finished rerun."""
    tab = Tab(url, "formula", "lang=en", timeout)
    try:
        tab.rerun()
        times = []
        for i in range(moves):
            run = tab.slide("d", float(1 + i % 4))
            if run.seconds is None or run.exceptions:
                raise RuntimeError(f"the slider's rerun failed: {run.exceptions}")
            times.append(run.seconds)
            time.sleep(0.5)  # a student's pace: look, then move again
        return times
    finally:
        tab.close()


def watch_and_slide(url: str, watchers: int, trainings: int, moves: int, timeout: float) -> str:
    """`trainings` sessions each start one run (variant c, the slowest to train, seeds 13…, 400 steps: each lasts
    about a minute on 2 cores, and the queue runs them one at a time, so they are still training while the slider
    is measured), the others of `watchers` join them round-robin; meanwhile one more session moves a slider.
    Reports the slider's p50/p95 idle and under load, and the watchers' fragment reruns during the measurement."""
    idle = slider_times(url, moves, timeout)
    stop = threading.Event()
    runs: list[Run] = []
    tabs: list[Tab] = []
    threads: list[threading.Thread] = []
    try:
        for i in range(watchers):
            seed = 13 + i % trainings
            tab = Tab(url, "train", f"lang=en&train_variants=c&train_seed={seed}&train_steps=400", timeout)
            tab.rerun()
            pressed = tab.press("train_go")
            if pressed.errors or pressed.exceptions:
                raise RuntimeError(f"session {i} could not start or join a run: {pressed.errors} {pressed.exceptions}")
            tabs.append(tab)
            thread = threading.Thread(target=tab.watch, args=(stop, runs), daemon=True)
            thread.start()
            threads.append(thread)
        loaded = slider_times(url, moves, timeout)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout)
        for tab in tabs:
            tab.close()
    failed = [r for r in runs if r.seconds is None or r.exceptions]
    watched = [r.seconds for r in runs if r.seconds is not None]
    fmt = lambda xs: f"p50 {percentile(xs, 0.5):.2f} s, p95 {percentile(xs, 0.95):.2f} s (n={len(xs)})"  # noqa: E731
    return "\n".join([
        f"formula slider, idle: {fmt(idle)}",
        f"formula slider, {watchers} sessions watching {trainings} trainings: {fmt(loaded)}",
        f"watchers' fragment reruns: {len(runs)}, {fmt(watched) if watched else '-'}, failed {len(failed)}",
    ])  # fmt: skip


def quota_and_cancel(url: str, pid: int, timeout: float) -> str:
    """One student asks for six runs at once (refused: more than a third of the queue), another for four (its
    share: accepted), then for four more with another seed (refused while it holds four). Then that tab closes
    while its first run trains, and the server's CPU use (per 0.5 s) shows when the training stopped."""
    lines = []
    every = "&".join(f"train_variants={v}" for v in ("a", "b", "c", "d", "e-grid", "e-hdc"))
    greedy = Tab(url, "train", f"lang=en&{every}&train_seed=20&train_steps=400", timeout)
    try:
        greedy.rerun()
        six = greedy.press("train_go")
        lines.append(f"six runs at once: {'refused: ' + six.errors[0] if six.errors else 'ACCEPTED'}")
    finally:
        greedy.close()
    four = "&".join(f"train_variants={v}" for v in ("a", "b", "c", "d"))
    tab = Tab(url, "train", f"lang=en&{four}&train_seed=20&train_steps=400", timeout)
    try:
        tab.rerun()
        first = tab.press("train_go")
        lines.append(f"four runs: {'refused: ' + first.errors[0] if first.errors else 'accepted'}")
        seed, _ = tab.widget("train_seed")
        go, _ = tab.widget("train_go")

        def more(msg: BackMsg) -> None:
            msg.rerun_script.widget_states.widgets.add(id=seed).double_array_value.data.append(19.0)
            msg.rerun_script.widget_states.widgets.add(id=go, trigger_value=True)

        again = tab.rerun(more)
        lines.append(
            f"four more (seed 19) while holding four: {'refused: ' + again.errors[0] if again.errors else 'ACCEPTED'}"
        )
        lines.append(f"server CPU while its first run trains: {_cpu_rate(pid, 3.0):.0%} of a core")
    finally:
        tab.close()
    closed = time.monotonic()
    while time.monotonic() - closed < 30:
        rate = _cpu_rate(pid, 0.5)
        if rate < 0.1:
            lines.append(f"closed the tab: the server's CPU fell to {rate:.0%} of a core "
                         f"{time.monotonic() - closed:.1f} s later")  # fmt: skip
            return "\n".join(lines)
    lines.append("closed the tab: the server was still busy 30 s later")
    return "\n".join(lines)


def _cpu_rate(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds
