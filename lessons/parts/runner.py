"""One way for a page to run a network: the session cache, the workload check, the server's queue, the errors.

Every page that runs a model, a probe or a CRF calls `run_job`. A result is kept in the session state with the key
it was computed for, so a rerun that changes nothing (a slider elsewhere, a fragment) reuses it; a changed key, or
`force`, runs the job again. Before the job queues, its work is checked against the CPU job bound
(deeplab_core.nets.workload), so nobody waits behind a giant; in the queue (deeplab_core.serving.queue) the page
shows how many runs are ahead; during the job an allocation failure frees memory and becomes a translated message
(deeplab_core.nets.memory). Any LabError is shown in the reader's language and the stale result is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TypeVar

import streamlit as st

from deeplab_core.errors import LabError
from deeplab_core.nets.memory import memory_guard
from deeplab_core.nets.workload import Workload, check_workload
from deeplab_core.serving.queue import SERVER_QUEUE
from lessons.parts.ui import show_error, t

T = TypeVar("T")
POLL_S = 0.5  # how often a waiting page refreshes its place in the queue


@contextmanager
def _turn(device: str) -> Iterator[None]:
    """Run the block alone, after the jobs that arrived before it; the page shows its place in line meanwhile."""
    ticket = SERVER_QUEUE.join()
    try:
        if not SERVER_QUEUE.wait_turn(ticket, 0):
            note = st.empty()
            while True:
                note.info(t("serving.queued", ahead=SERVER_QUEUE.ahead(ticket)), icon=":material/hourglass_top:")
                if SERVER_QUEUE.wait_turn(ticket, POLL_S):  # a stopped page raises out of note.info: `finally` leaves
                    break
            note.empty()
        with memory_guard(device):
            yield
    finally:
        SERVER_QUEUE.leave(ticket)


def run_job(
    state: str,
    key: Hashable,
    job: Callable[[], T],
    *,
    work: Workload | Callable[[], Workload] = (),
    device: str = "cpu",
    spinner: str | None = None,
    when: bool = True,
    force: bool = False,
    offload: Callable[[], T | None] | None = None,
) -> T | None:
    """The result of `job` for `key`, kept in this session under `state`.

    The job runs when the stored result is for another key (or `force`), and only if `when` (a page that runs on a
    button passes the button); otherwise the stored result for this key, or None. `work` (or a function that
    returns it, for a plan that may itself refuse the photo) is checked before queuing. None after a translated
    message when the job is refused or fails.

    `offload` (a call to the inference service) is tried first, outside the server's queue: it waits on another
    machine, and holding the queue through that wait would serialise every session behind one remote call (and
    the service could never batch them). When it returns None the job runs here, in the queue, as before.
    """
    stored = st.session_state.get(state)
    if stored is not None and stored[0] == key and not force:
        return stored[1]
    if not when:
        return None
    try:
        check_workload(device, work() if callable(work) else work)
        with st.spinner(spinner) if spinner else nullcontext():
            result = offload() if offload is not None else None
            if result is None:
                with _turn(device):
                    result = job()
    except LabError as exc:
        st.session_state.pop(state, None)
        show_error(exc)
        return None
    st.session_state[state] = (key, result)
    return result


def stored(state: str, key: Hashable) -> object | None:
    """What `run_job` kept under `state`, if it was computed for `key`."""
    kept = st.session_state.get(state)
    return kept[1] if kept is not None and kept[0] == key else None
