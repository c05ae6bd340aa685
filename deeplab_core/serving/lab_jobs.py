"""One process-wide registry of train-lab jobs, shared by every session of the classroom server.

A class of thirty pressing "train" at once must not train thirty times, nor thirty models at once on a small
CPU. So a run is keyed by (variant, seed, steps): the first request queues it, later requests (from any session)
get the same job and watch it; one worker thread trains the queue in order, so the server never trains two
models at the same time; finished results are kept (most recent first) for everyone. Sessions never block: they
poll `snapshot()` from a fragment that reruns every second. No Streamlit here: plain threading. The page
bounds the steps; the registry bounds the queue, and refuses politely (LabError "train.busy") when it is full.
"""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict, deque
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

from deeplab_core.errors import LabError
from deeplab_core.nets.lab.training import Progress, RunResult, TrainConfig, train
from deeplab_core.serving.queue import TicketQueue

Key = tuple[str, int, int]  # (variant, seed, steps)
MAX_QUEUE = 12  # jobs waiting or running, over all sessions
MAX_KEPT = 96  # finished results kept in memory
THREADS = 1  # torch CPU threads while a lab step runs (measured steadier and faster on a shared 2-core CPU)


@dataclass(frozen=True)
class JobView:
    """What a session sees of a job at one moment: a copy, so it can be drawn without holding the lock."""

    key: Key
    state: str  # "queued", "running", "done" or "failed"
    step: int
    queue_position: int  # jobs ahead of it; 0 when running or finished
    losses: tuple[float, ...] = ()
    eval_steps: tuple[int, ...] = ()
    mious: tuple[float, ...] = ()
    result: RunResult | None = None
    error: str = ""
    cached: bool = False  # served from an earlier run (another session's, or the shipped results)


@dataclass
class _Job:
    key: Key
    state: str = "queued"
    step: int = 0
    losses: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    mious: list[float] = field(default_factory=list)
    result: RunResult | None = None
    error: str = ""
    cached: bool = False


class JobRegistry:
    def __init__(self, preloaded: Sequence[RunResult] = (), queue: TicketQueue | None = None) -> None:
        # lab steps take turns with every page's inference, so a segmentation waits at most one training step
        self._turn = queue.turn if queue is not None else nullcontext
        self._lock = threading.Lock()
        self._jobs: OrderedDict[Key, _Job] = OrderedDict()
        self._queue: deque[Key] = deque()
        self._worker: threading.Thread | None = None
        for run in preloaded:
            key = (run.variant, run.seed, run.steps)
            self._jobs[key] = _Job(
                key,
                "done",
                run.steps,
                run.history["loss"],
                run.history["eval_step"],
                run.history["miou"],
                run,
                cached=True,
            )

    def submit(self, keys: list[Key]) -> None:
        """Queue the keys not already known (a failed one is retried); LabError when the queue would overflow."""
        with self._lock:
            new = [k for k in keys if k not in self._jobs or self._jobs[k].state == "failed"]
            if len(self._queue) + len(new) > MAX_QUEUE:
                raise LabError("train.busy", "The lab is busy", waiting=len(self._queue), limit=MAX_QUEUE)
            for key in new:
                self._jobs[key] = _Job(key)
                self._queue.append(key)
            for key in keys:
                if key not in new and self._jobs[key].state == "done":
                    self._jobs[key].cached = True
                self._jobs.move_to_end(key)
            self._evict()
            if new and (self._worker is None or not self._worker.is_alive()):
                self._worker = threading.Thread(target=self._work, name="train-lab", daemon=True)
                self._worker.start()

    def snapshot(self, keys: list[Key]) -> list[JobView]:
        with self._lock:
            return [self._view(key) for key in keys if key in self._jobs]

    def _view(self, key: Key) -> JobView:
        job = self._jobs[key]
        position = list(self._queue).index(key) if key in self._queue else 0
        return JobView(
            key,
            job.state,
            job.step,
            position,
            tuple(job.losses),
            tuple(job.eval_steps),
            tuple(job.mious),
            job.result,
            job.error,
            job.cached,
        )

    def _evict(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
        for key in finished[: max(0, len(finished) - MAX_KEPT)]:
            del self._jobs[key]

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    return
                key = self._queue[0]
                job = self._jobs[key]
                job.state = "running"
            variant, seed, steps = key

            def progress(p: Progress, job: _Job = job) -> None:
                with self._lock:
                    job.step = p.step
                    job.losses.append(p.loss)
                    if p.miou is not None:
                        job.eval_steps.append(p.step)
                        job.mious.append(p.miou)

            try:
                config = replace(TrainConfig(), steps=steps)
                result = train(variant, seed, config, callback=progress, step_guard=self._turn, threads=THREADS)
                state, error = "done", ""
            except Exception as exc:  # noqa: BLE001 - shown to the student, and the queue goes on
                result, state, error = None, "failed", "".join(traceback.format_exception_only(exc)).strip()
            with self._lock:
                job.result, job.state, job.error = result, state, error
                self._queue.popleft()


_REGISTRY: JobRegistry | None = None
_CREATING = threading.Lock()


def registry(preloaded: tuple[RunResult, ...] = (), queue: TicketQueue | None = None) -> JobRegistry:
    """The one registry of this server process, made on first use with the shipped runs already in it and the
    server's inference queue to take turns in.

    A module-level object rather than st.cache_resource: the worker thread and every session, and the tests,
    must see the same one, and clearing Streamlit's caches must not orphan a running job."""
    global _REGISTRY
    with _CREATING:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry(list(preloaded), queue)
        return _REGISTRY
