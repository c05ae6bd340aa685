"""Real-browser testing: headless system Chromium against the session's `streamlit run` server (tests/conftest.py
starts it with scripts/app_server.py).

Playwright drives Debian's Chromium (Playwright cannot download its own browsers here). Without Chromium the
browser tests are skipped with a reason, except under CI, where a missing browser is a failure.

Nothing here sleeps: a test waits for the page's own states (the app connected and its script not running), for
the address bar, or for the script run its action caused (`one_run`: the `script_finished` message on the page's
websocket). Screenshots are taken only when ATROUS_LAB_SCREENSHOTS names a folder.
"""

from __future__ import annotations

import os
import shutil
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        message = "no Chromium found (install Debian's `chromium` package, or set CHROMIUM=/path/to/chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so browser tests must run: {message}")
        pytest.skip(message)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI is set, so browser tests must run: playwright is not installed")
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt)")
    return path


def wait_for_app(page, timeout: float = 120_000) -> None:
    """Wait until the app is connected and its script has finished running (Streamlit's e2e way)."""
    page.wait_for_selector(
        "[data-testid=stApp][data-test-connection-state=CONNECTED]", state="attached", timeout=timeout
    )
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached", timeout=timeout)


def wait_for_lesson(page, title: str, timeout: float = 120_000) -> None:
    """After opening a lesson in a fresh document: wait until its run has finished. A fresh page reports "not
    running" before its first run starts too, so the state alone can pass before anything is drawn; the lesson's
    title (`title`, in the reader's language) in its heading proves the run began. The page's own style sheet
    (lessons.parts.ui.page_style: touch and projector CSS) is drawn from Streamlit's event container, which the
    browser may apply a moment after the run has finished: it is waited for too."""
    wait_for_app(page, timeout)
    page.wait_for_function(
        """t => [...document.querySelectorAll('h1')].some(h => h.innerText.includes(t))
                && document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]')
                && [...document.querySelectorAll('style')].some(s => s.textContent.includes('stElementToolbar'))""",
        arg=title,
        timeout=timeout,
    )


_STREAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # page -> its app's websocket


def watch_runs(page):
    """Remember the page's connection to the app (`/_stcore/stream`), so `one_run` can see its script runs."""

    def opened(socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            _STREAMS[page] = socket

    page.on("websocket", opened)
    return page


def _run_finished(payload: str | bytes) -> bool:
    """A ForwardMsg saying a run of the script (or of a fragment) finished, not one cut short for a rerun."""
    if isinstance(payload, str) or len(payload) > 256:  # the message is tiny; deltas and figures are not it
        return False
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - not a ForwardMsg: not the one we wait for
        return False
    return message.WhichOneof("type") == "script_finished" and message.script_finished != (
        ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


@contextmanager
def one_run(page, timeout: float = 120_000) -> Iterator[None]:
    """Around an action that makes the app rerun (a widget, a link, the navigation): wait until that run has
    finished and the page has drawn it. Unlike waiting for the "not running" state alone, this cannot be
    fooled by the moment between the action and the start of its run."""
    with _STREAMS[page].expect_event("framereceived", predicate=_run_finished, timeout=timeout):
        yield
    wait_for_app(page, timeout)


def screenshot(page, name: str, width: int = 1400) -> None:
    """Save a full-page screenshot to $ATROUS_LAB_SCREENSHOTS/<name>.png, only when that variable is set.

    Streamlit scrolls inside its main container, so a full-page shot needs a viewport as tall as it; the shot is
    taken once every chart has been laid out again at its container's width."""
    folder = os.environ.get("ATROUS_LAB_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }"
    )
    page.set_viewport_size({"width": width, "height": min(max(int(height) + 80, 900), 16000)})
    page.wait_for_function(  # every autosized chart laid out at its container's new width
        """() => [...document.querySelectorAll('.js-plotly-plot')].every(gd => !gd._fullLayout
                 || (gd.layout && gd.layout.width)
                 || Math.abs(gd._fullLayout.width - gd.getBoundingClientRect().width) < 2)""",
        timeout=30_000,
    )
    page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
