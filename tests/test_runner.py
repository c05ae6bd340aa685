"""lessons.parts.runner.run_job, the one way a page runs a network: the session cache, when/force, the workload
check before queuing, translated errors; and that nothing else enters the server's queue."""

from __future__ import annotations

import ast

from streamlit.testing.v1 import AppTest

from deeplab_core.config import CPU_JOB_GMACS
from deeplab_core.serving.queue import TicketQueue
from tests.paths import ROOT


def _script() -> None:
    import streamlit as st

    from deeplab_core.errors import LabError
    from deeplab_core.nets.workload import CountedWork
    from lessons.parts.runner import run_job

    calls = st.session_state.setdefault("calls", [])
    key = st.session_state.get("key", 1)

    def job() -> int:
        calls.append(key)
        if key == "fail":
            raise LabError("errors.image.empty", "no image")
        return key * 10

    work = [CountedWork(int(st.session_state.get("macs", 0)))]
    result = run_job(
        "result", key, job, work=work, when=st.session_state.get("when", True), force=st.session_state.get("force")
    )
    st.write(f"result={result}")


def _app() -> AppTest:
    at = AppTest.from_function(_script, default_timeout=30)
    at.session_state["lang"] = "en"
    return at.run()


def shown(at: AppTest) -> str:
    return at.markdown[-1].value


def test_a_result_is_kept_for_its_key_and_recomputed_for_another():
    at = _app()
    assert shown(at) == "result=10" and at.session_state["calls"] == [1]
    at.run()
    assert at.session_state["calls"] == [1]  # same key: served from the session
    at.session_state["key"] = 2
    at.run()
    assert shown(at) == "result=20" and at.session_state["calls"] == [1, 2]
    at.session_state["force"] = True
    at.run()
    assert at.session_state["calls"] == [1, 2, 2]  # "run again"


def test_when_false_returns_only_what_was_kept_for_this_key():
    at = _app()
    at.session_state["when"] = False
    at.session_state["key"] = 3
    at.run()
    assert shown(at) == "result=None" and at.session_state["calls"] == [1]
    at.session_state["key"] = 1
    at.run()
    assert shown(at) == "result=10"


def test_too_heavy_work_is_refused_before_the_job_runs_in_the_readers_language():
    at = _app()
    at.session_state["key"] = 4
    at.session_state["macs"] = 10**15
    at.session_state["lang"] = "zh"
    at.run()
    assert at.session_state["calls"] == [1]
    assert shown(at) == "result=None" and len(at.error) == 1 and f"{CPU_JOB_GMACS}" in at.error[0].value
    assert any("\u4e00" <= ch <= "\u9fff" for ch in at.error[0].value)  # the message is in Chinese


def test_a_failing_job_shows_its_message_and_drops_the_stale_result():
    at = _app()
    at.session_state["key"] = "fail"
    at.run()
    assert shown(at) == "result=None" and len(at.error) == 1
    assert "result" not in at.session_state


def test_the_ticket_queue_serves_in_arrival_order():
    queue = TicketQueue()
    first, second, third = queue.join(), queue.join(), queue.join()
    assert [queue.ahead(t) for t in (first, second, third)] == [0, 1, 2]
    assert not queue.wait_turn(second, 0)
    queue.leave(first)
    assert queue.wait_turn(second, 0) and queue.ahead(third) == 1 and len(queue) == 2


def test_only_the_runner_enters_the_servers_queue():
    """SERVER_QUEUE is named by the runner (pages) and the train lab's page (its job registry takes turns in it)."""
    users = set()
    for path in [ROOT / "app.py", *(ROOT / "lessons").rglob("*.py"), *(ROOT / "deeplab_core").rglob("*.py")]:
        names = {n.id for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Name)}
        if "SERVER_QUEUE" in names:
            users.add(path.relative_to(ROOT).as_posix())
    assert users <= {"lessons/parts/runner.py", "lessons/train.py", "deeplab_core/serving/queue.py"}, users
    uses_turn = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "lessons").rglob("*.py")
        if "_turn(" in path.read_text(encoding="utf-8") or "memory_guard" in path.read_text(encoding="utf-8")
    ]
    assert uses_turn == ["lessons/parts/runner.py"]
