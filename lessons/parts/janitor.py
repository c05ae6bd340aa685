"""Memory a closed session leaves behind, given back to the machine.

Streamlit keeps a closed tab's session for `server.disconnectedSessionTTL` seconds (120 by default), so that a tab
that lost its connection for a moment finds its state again. Streamlit 1.67 keeps those sessions in a TTL cache
that drops an expired one only at its next write (the next tab that closes), and drops it without shutting it
down: its uploaded files stay in the upload manager, and its session state (photos, results) stays reachable
through them and through reference cycles. After a class leaves, nothing more is written: the memory was never
given back. So a daemon thread, every PERIOD_S seconds, reaps the expired sessions and shuts each down as
Streamlit does a closed one; when it reaped any, it collects the cycles (gc) and asks glibc to return its freed
arenas to the system (malloc_trim), which it otherwise keeps for the process. docs/BENCHMARKS.md measures it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from typing import Any

from streamlit import runtime
from streamlit.logger import get_logger

log = get_logger(__name__)  # Streamlit's handler and level: its lines appear in the server's log
PERIOD_S = 30.0
_started = threading.Lock()
_thread: threading.Thread | None = None


def _libc_trim() -> bool:
    """glibc's malloc_trim(0): give the free memory at the top of every arena back to the system."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return False
    return bool(trim is not None and trim(0))


def reap(manager: Any) -> int:
    """Shut down the sessions `manager` (Streamlit's WebsocketSessionManager) keeps past their time; how many.
    Its session storage's cache is private to Streamlit 1.67 (tests/test_janitor.py checks it is still there)."""
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    if cache is None or not hasattr(cache, "expire"):
        return 0
    expired = cache.expire()
    for _, info in expired:
        info.session.shutdown()  # as for a closed session: its uploaded files go, its script runner stops
    return len(expired)


def sweep() -> int:
    """One pass: reap, and give the memory back when there was anything to reap."""
    try:
        manager = runtime.get_instance()._session_mgr  # noqa: SLF001 - no public handle on the stored sessions
    except RuntimeError:  # no Streamlit server in this process (AppTest, a script)
        return 0
    reaped = reap(manager)
    if reaped:
        gc.collect()
        _libc_trim()
        log.info("janitor: %d closed session(s) released", reaped)
    return reaped


def _loop() -> None:
    while True:
        time.sleep(PERIOD_S)
        try:
            sweep()
        except Exception:  # the next pass tries again; the server must not lose its janitor
            log.exception("janitor: a pass failed")


def start() -> None:
    """Start the janitor once per process."""
    global _thread
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=_loop, name="atrous-janitor", daemon=True)
            _thread.start()
