"""One way to start the real app for a measurement or a test: `streamlit run app.py` on a free loopback port.

Used by scripts/load_test.py (a class on one server) and by the browser tests (tests/conftest.py), so both run
the app the way a classroom server does. No pytest here: the load test is a plain script.

By default the server runs untrained weights (ATROUS_LAB_WEIGHTS=random) with an empty hub cache (TORCH_HOME in
its own folder), so nothing is ever downloaded; `env` overrides either. Its output goes to a log file in that
folder, never to a pipe: nobody reads a pipe while the server runs, and a chatty server blocks on a full one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class AppServer:
    url: str  # http://127.0.0.1:<port>
    process: subprocess.Popen[bytes]
    healthy_at: float  # time.monotonic() when /_stcore/health first answered "ok"
    log: Path  # the server's stdout and stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.read() == b"ok")
    except OSError:
        return False


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> float:
    """Poll the health endpoint until it answers (a condition with a deadline); the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(url):
            return time.monotonic()
        if process.poll() is not None:
            break
        time.sleep(0.05)  # the poll interval, not a guess: the loop ends on the answer or the deadline
    raise RuntimeError(f"streamlit did not become healthy at {url}: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def app_server(
    env: dict[str, str] | None = None,
    *,
    watcher: str = "none",
    workdir: Path | None = None,
    timeout: float = 120,
) -> Iterator[AppServer]:
    """A fresh server; stopped on leaving the block. `watcher` is server.fileWatcherType ("none" as a classroom
    server runs, "auto" to watch the tree as in development). `workdir` keeps the hub cache and the log (a
    temporary folder, removed afterwards, when None)."""
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="atrous-server-"))
    torch_home = folder / "torch_home"
    torch_home.mkdir(parents=True, exist_ok=True)
    settings = {"ATROUS_LAB_WEIGHTS": "random", "TORCH_HOME": str(torch_home), **(env or {})}
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    cmd += ["--server.fileWatcherType", watcher]
    log = folder / "server.log"
    with log.open("wb") as out:  # the child keeps its own handle; ours closes here
        process = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **settings}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        yield AppServer(url, process, wait_healthy(url, process, log, timeout), log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
