"""Real-browser testing: a `streamlit run` server on a free loopback port and headless system Chromium.

Playwright drives Debian's Chromium (Playwright cannot download its own browsers here). Without Chromium the
browser tests are skipped with a reason, except under CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.paths import ROOT

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 90) -> Iterator[str]:
    """Start `streamlit run app.py` on a free loopback port; yield its base URL; stop it afterwards."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read() if proc.poll() is not None else ""
                    raise RuntimeError(f"streamlit did not start: {output[-2000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_app(page, timeout: float = 120_000) -> None:
    """Wait until the app is connected and its script has finished running (Streamlit's e2e way)."""
    page.wait_for_selector(
        "[data-testid=stApp][data-test-connection-state=CONNECTED]", state="attached", timeout=timeout
    )
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached", timeout=timeout)


def screenshot_dir(tmp_path_factory) -> Path:
    """Screenshots go to $ATROUS_SCREENSHOTS when set (to look at them), else to a pytest temporary folder."""
    folder = os.environ.get("ATROUS_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def full_screenshot(page, path: Path, width: int = 1400) -> None:
    """Streamlit scrolls inside its main container, so a full-page shot needs a viewport as tall as it."""
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }"
    )
    page.set_viewport_size({"width": width, "height": min(max(int(height) + 80, 900), 16000)})
    page.wait_for_timeout(800)  # plotly redraws at the new size
    page.screenshot(path=str(path), full_page=True)
