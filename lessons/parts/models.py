"""Models shared by every page: one per (name, device, weights, output stride, multi-grid), and one fair queue.

A classroom server has one process and many sessions; models are built once with `st.cache_resource`, and
inference runs one job at a time (so two students never race on one model, or on the CPU's threads). Jobs are
served in arrival order by a ticket queue, not a bare lock (whose waiters wake in no particular order), and a
waiting student sees how many runs are ahead. Before a job queues, its work is checked against the CPU job bound
(deeplab_core.nets.workload), so nobody waits behind a giant; during the job, an allocation failure releases memory
and becomes a translated error (deeplab_core.nets.memory) while the model stays usable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import streamlit as st

from deeplab_core.config import NO_MULTI_GRID
from deeplab_core.nets.memory import memory_guard
from deeplab_core.nets.model import DeepLab, load_model, set_output_stride
from deeplab_core.nets.workload import Work, check_workload
from lessons.parts.ui import t

# "pretrained" (default), "random", or a folder holding <model name>.pth state dicts (used by the tests, and
# by a classroom that copies checkpoints somewhere other than the torch hub cache).
WEIGHTS_ENV = "ATROUS_LAB_WEIGHTS"
POLL_S = 0.5  # how often a waiting page refreshes its place in the queue


def weights_source(name: str) -> str:
    """What `load_model(weights=...)` gets for this model on this server."""
    setting = os.environ.get(WEIGHTS_ENV, "pretrained")
    if setting in ("pretrained", "random"):
        return setting
    return os.path.join(setting, f"{name}.pth")


@st.cache_resource(max_entries=6, show_spinner=False)
def get_model(
    name: str,
    weights: str,
    device: str,
    output_stride: int | None = None,
    multi_grid: tuple[int, ...] = NO_MULTI_GRID,
) -> DeepLab:
    """A cached model; output_stride None keeps torchvision's own wiring (OS 8 for ResNets)."""
    model = load_model(name, weights=weights, device=device)
    if output_stride is not None:
        set_output_stride(model, output_stride, multi_grid)
    return model


class TicketQueue:
    """One job at a time, in arrival order: each job takes a ticket and runs when it is first in line."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._line: list[int] = []
        self._issued = 0

    def join(self) -> int:
        with self._changed:
            self._issued += 1
            self._line.append(self._issued)
            return self._issued

    def ahead(self, ticket: int) -> int:
        """How many jobs are before this one (0: its turn)."""
        with self._changed:
            return self._line.index(ticket)

    def wait_turn(self, ticket: int, timeout: float | None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._line[0] == ticket, timeout)

    def leave(self, ticket: int) -> None:
        """Done, or given up while waiting (a page left or rerun): either way the line moves on."""
        with self._changed:
            self._line.remove(ticket)
            self._changed.notify_all()


@st.cache_resource
def inference_queue() -> TicketQueue:
    return TicketQueue()


@contextmanager
def inference_lock(device: str = "cpu", work: Sequence[Work] = ()) -> Iterator[None]:
    """Run the block alone, after the jobs that arrived before it; the page shows its place in line meanwhile.

    Raises TooHeavyError before queuing when `work` is over the CPU job bound, and OutOfMemoryError (memory
    released) when the block cannot allocate; both are LabErrors for the page to show.
    """
    check_workload(device, work)
    queue = inference_queue()
    ticket = queue.join()
    try:
        if not queue.wait_turn(ticket, 0):
            note = st.empty()
            while True:
                note.info(t("serving.queued", ahead=queue.ahead(ticket)), icon=":material/hourglass_top:")
                if queue.wait_turn(ticket, POLL_S):  # a stopped page raises out of note.info: `finally` leaves
                    break
            note.empty()
        with memory_guard(device):
            yield
    finally:
        queue.leave(ticket)
