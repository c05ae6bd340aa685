"""The janitor (lessons/parts/janitor.py) shuts down the closed sessions Streamlit keeps past their time, and
nothing else; and the private handles it relies on are still where Streamlit 1.67 keeps them."""

from __future__ import annotations

import inspect

from streamlit.runtime import websocket_session_manager
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo

from lessons.parts import janitor


class FakeSession:
    """What the storage keeps of an AppSession: its id, and shutdown() (which drops its uploads, stops its run)."""

    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.shut = 0

    def shutdown(self) -> None:
        self.shut += 1


class Manager:
    def __init__(self, storage: MemorySessionStorage) -> None:
        self._session_storage = storage


def storage_at(clock: list[float]) -> MemorySessionStorage:
    """Streamlit's own session storage (a TTL cache, 120 s as the server's default), on a clock the test moves."""
    storage = MemorySessionStorage(ttl_seconds=120)
    storage._cache._timer = lambda: clock[0]  # noqa: SLF001 - a clock the test controls
    return storage


def test_only_sessions_past_their_time_are_shut_down_once():
    clock = [1000.0]
    storage = storage_at(clock)
    old, recent = FakeSession("old"), FakeSession("recent")
    storage.save(SessionInfo(client=None, session=old))  # type: ignore[arg-type]
    clock[0] += 100
    storage.save(SessionInfo(client=None, session=recent))  # type: ignore[arg-type]
    manager = Manager(storage)
    assert janitor.reap(manager) == 0 and old.shut == recent.shut == 0  # both within their 120 s
    clock[0] += 30  # the first is 130 s old, the second 30 s
    assert janitor.reap(manager) == 1
    assert (old.shut, recent.shut) == (1, 0) and storage.get("old") is None and storage.get("recent") is not None
    assert janitor.reap(manager) == 0 and old.shut == 1  # reaped once only
    clock[0] += 200
    assert janitor.reap(manager) == 1 and recent.shut == 1 and storage.list() == []


def test_a_manager_without_the_private_cache_is_left_alone():
    class Other:  # a future Streamlit that keeps its sessions elsewhere: reap nothing, raise nothing
        _session_storage = object()

    assert janitor.reap(Other()) == 0
    assert janitor.reap(object()) == 0


def test_streamlit_still_keeps_sessions_where_the_janitor_looks():
    source = inspect.getsource(websocket_session_manager.WebsocketSessionManager.__init__)
    assert "self._session_storage = session_storage" in source
    assert hasattr(MemorySessionStorage()._cache, "expire")  # noqa: SLF001


def test_without_a_server_a_sweep_does_nothing():
    assert janitor.sweep() == 0  # no Streamlit runtime in the test process: nothing to reap, no error
