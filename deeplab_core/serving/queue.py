"""One job at a time, in arrival order: the server's inference queue.

A classroom server has one process and many sessions. Jobs (a segmentation, a probe, a CRF, one training step of
the train lab) take turns on the one processor so two students never race on one model or on the CPU's threads.
Jobs are served in arrival order by a ticket queue rather than a bare lock, whose waiters wake in no particular
order, and a waiting page can say how many runs are ahead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TicketQueue:
    """Each job takes a ticket and runs when it is first in line."""

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

    def __len__(self) -> int:
        with self._changed:
            return len(self._line)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this job's turn (however long), run the block, leave the line."""
        ticket = self.join()
        try:
            self.wait_turn(ticket, None)
            yield
        finally:
            self.leave(ticket)


SERVER_QUEUE = TicketQueue()  # the one queue of this process: every page's runs and the train lab's steps
