"""One process-wide registry of train-lab jobs, shared by every session of the classroom server.

A class of thirty pressing "train" at once must not train thirty times, nor thirty models at once on a small
CPU. So a run is keyed by (variant, seed, steps): the first request queues it, later requests (from any session)
join the same job and watch it; one worker thread trains one job at a time; finished results are kept (most
recent first) for everyone. No Streamlit here: plain threading, and sessions are opaque ids.

- **Fair**: the queue is served in rounds, as in start-time fair queueing: a session's next run goes one round
  after its previous one and never before the round being served, so a student's second run waits behind the
  other students' next runs (a job is charged to the first session that asked for it); within a round, arrival
  order. A student holds at most PER_SESSION unfinished runs (a third of the queue, LabError "train.queue.quota"),
  the whole queue at most MAX_QUEUE ("train.busy").
- **Cancelled when nobody is left**: a job remembers the sessions that asked for it. A session can withdraw
  (`cancel`); a watchdog asks the page's `connected(session)` every WATCH_S seconds and forgets a session unseen
  for GRACE_S (a reload reconnects within it). A job nobody wants any more leaves the queue, or, running, stops
  before its next step (training's `stop`).
- **One progress per job, shared**: each job has an immutable JobView, rebuilt when the job changes (a running
  job at most every PUBLISH_S seconds) with a new `version`; `snapshot()` hands out those views, so a watcher
  costs a dictionary lookup, and a page can keep a figure per (job, version) for all its watchers.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

from deeplab_core.errors import LabError
from deeplab_core.nets.lab.training import Progress, RunResult, TrainConfig, TrainingCancelled, train
from deeplab_core.serving.queue import TicketQueue

Key = tuple[str, int, int]  # (variant, seed, steps)
Connected = Callable[[str], bool]  # session id -> whether it is still connected
MAX_QUEUE = 12  # jobs waiting or running, over all sessions
PER_SESSION = MAX_QUEUE // 3  # unfinished jobs one session may be charged with
MAX_KEPT = 96  # finished results kept in memory
THREADS = 1  # torch CPU threads while a lab step runs (measured steadier and faster on a shared 2-core CPU)
WATCH_S = 2.0  # how often the watchdog asks which sessions are still connected
GRACE_S = 4.0  # a session unseen this long has left: WATCH_S + GRACE_S + one step stays well under 10 s
PUBLISH_S = 1.0  # a running job's view is rebuilt at most this often (and at every state change)
UNFINISHED = ("queued", "running")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobView:
    """What every session sees of a job at one moment; immutable, so it is drawn without holding the lock."""

    key: Key
    state: str  # "queued", "running", "done", "failed" or "cancelled"
    step: int
    queue_position: int  # jobs ahead of it (the running one included); 0 when running or finished
    losses: tuple[float, ...] = ()
    eval_steps: tuple[int, ...] = ()
    mious: tuple[float, ...] = ()
    result: RunResult | None = None
    error: str = ""
    cached: bool = False  # served from an earlier run (another session's, or the shipped results)
    version: int = 0  # changes whenever anything above does


@dataclass(eq=False)
class _Job:
    key: Key
    arrival: int
    round: int = 0  # served in rounds: a session's k-th waiting run goes in the k-th round from now
    state: str = "queued"
    step: int = 0
    losses: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    mious: list[float] = field(default_factory=list)
    result: RunResult | None = None
    error: str = ""
    cached: bool = False
    sessions: list[str] = field(default_factory=list)  # who asked, in order; the first is charged with it
    stop: threading.Event = field(default_factory=threading.Event)
    published: float = 0.0  # time.monotonic() of the last view


class JobRegistry:
    def __init__(
        self, preloaded: Sequence[RunResult] = (), queue: TicketQueue | None = None, connected: Connected | None = None
    ) -> None:
        # lab steps take turns with every page's inference, so a segmentation waits at most one training step
        self._turn = queue.turn if queue is not None else nullcontext
        self._connected = connected  # None: every session counts as connected (no watchdog)
        self._lock = threading.Lock()
        self._jobs: OrderedDict[Key, _Job] = OrderedDict()
        self._views: dict[Key, JobView] = {}
        self._version = 0
        self._arrivals = 0
        self._round = 0  # the round of the job running (or last run)
        self._last_round: dict[str, int] = {}  # session -> the round of its latest queued job
        self._seen: dict[str, float] = {}  # session -> when it was last known connected
        self._worker: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        for run in preloaded:
            key, history = (run.variant, run.seed, run.steps), run.history
            job = _Job(key, 0, state="done", step=run.steps, result=run, cached=True)
            job.losses, job.eval_steps, job.mious = history["loss"], history["eval_step"], history["miou"]
            self._jobs[key] = job
            self._publish(job)

    def submit(self, keys: Sequence[Key], session: str) -> None:
        """Ask for `keys` on behalf of `session`: unknown (or failed, or cancelled) ones are queued and charged to
        it, unfinished ones are joined, finished ones served. LabError when its share or the queue would overflow."""
        with self._lock:
            again = ("failed", "cancelled")
            new = [k for k in dict.fromkeys(keys) if k not in self._jobs or self._jobs[k].state in again]
            unfinished = [j for j in self._jobs.values() if j.state in UNFINISHED]
            held = sum(j.sessions[:1] == [session] for j in unfinished)
            if new and held + len(new) > PER_SESSION:
                raise LabError("train.queue.quota", "Too many runs", held=held, asked=len(new), limit=PER_SESSION)
            if len(unfinished) + len(new) > MAX_QUEUE:
                raise LabError("train.busy", "The lab is busy", waiting=len(unfinished), limit=MAX_QUEUE)
            self._seen[session] = time.monotonic()
            for key in new:
                self._arrivals += 1
                turn = max(self._round, self._last_round.get(session, -1) + 1)  # no credit for time away
                self._jobs[key] = _Job(key, self._arrivals, turn)
                self._last_round[session] = turn
            for key in keys:
                job = self._jobs[key]
                if job.state in UNFINISHED and session not in job.sessions:
                    job.sessions.append(session)
                elif job.state == "done" and key not in new and not job.cached:
                    job.cached = True
                    self._publish(job)
                self._jobs.move_to_end(key)
            self._evict()
            if new:
                self._reorder()
                self._start_threads()

    def cancel(self, keys: Sequence[Key], session: str) -> None:
        """`session` no longer wants `keys`; a job that nobody wants any more is cancelled."""
        with self._lock:
            for key in keys:
                job = self._jobs.get(key)
                if job is not None and session in job.sessions:
                    job.sessions.remove(session)
                    if not job.sessions:
                        self._cancel(job)
            self._reorder()

    def snapshot(self, keys: Sequence[Key]) -> list[JobView]:
        """The published views of `keys` (those the registry knows), in order."""
        with self._lock:
            return [self._views[key] for key in keys if key in self._views]

    def watchers(self) -> int:  # sessions waiting on an unfinished job: each watches its page's progress
        with self._lock:
            return len({s for j in self._jobs.values() if j.state in UNFINISHED for s in j.sessions})

    def held(self, session: str) -> int:
        """Unfinished jobs charged to `session`."""
        with self._lock:
            return sum(j.state in UNFINISHED and j.sessions[:1] == [session] for j in self._jobs.values())

    def sweep(self, now: float | None = None) -> None:
        """Forget the sessions that left (unseen for GRACE_S) and cancel the jobs nobody wants any more."""
        if self._connected is None:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            sessions = {s for j in self._jobs.values() if j.state in UNFINISHED for s in j.sessions}
        present = {s for s in sessions if self._connected(s)}  # outside the lock: the page's callable
        with self._lock:
            for session in present:
                self._seen[session] = now
            gone = {s for s in sessions - present if now - self._seen.get(s, now) >= GRACE_S}
            for job in [j for j in self._jobs.values() if j.state in UNFINISHED]:
                if gone & set(job.sessions):
                    job.sessions = [s for s in job.sessions if s not in gone]
                    if not job.sessions:
                        self._cancel(job)
            self._seen = {s: seen for s, seen in self._seen.items() if s in sessions - gone}
            self._reorder()

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_S)
            try:
                self.sweep()
            except Exception:  # a failing `connected` must not end the watchdog: it asks again next time
                log.exception("train lab: the watchdog could not check the sessions")
            with self._lock:
                if not any(j.state in UNFINISHED for j in self._jobs.values()):
                    self._watchdog = None
                    return

    def _publish(self, job: _Job, position: int = 0) -> None:
        self._version += 1
        job.published = time.monotonic()
        self._views[job.key] = JobView(
            job.key, job.state, job.step, position, tuple(job.losses), tuple(job.eval_steps), tuple(job.mious),
            job.result, job.error, job.cached, self._version,
        )  # fmt: skip

    def _order(self) -> list[_Job]:
        """The waiting jobs in the order they will run: by round, then by arrival."""
        return sorted((j for j in self._jobs.values() if j.state == "queued"), key=lambda j: (j.round, j.arrival))

    def _reorder(self) -> None:
        """Republish the waiting jobs whose place in line changed."""
        ahead = int(any(j.state == "running" for j in self._jobs.values()))
        for index, job in enumerate(self._order()):
            view = self._views.get(job.key)
            if view is None or view.state != job.state or view.queue_position != ahead + index:
                self._publish(job, ahead + index)

    def _cancel(self, job: _Job) -> None:
        if job.state == "queued":
            job.state = "cancelled"
            self._publish(job)
        elif job.state == "running":
            job.stop.set()  # the worker stops before the next step and marks it cancelled

    def _evict(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state not in UNFINISHED]
        for key in finished[: max(0, len(finished) - MAX_KEPT)]:
            del self._jobs[key]
            del self._views[key]

    def _start_threads(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="train-lab", daemon=True)
            self._worker.start()
        if self._connected is not None and (self._watchdog is None or not self._watchdog.is_alive()):
            self._watchdog = threading.Thread(target=self._watch, name="train-lab-watchdog", daemon=True)
            self._watchdog.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                order = self._order()
                if not order:
                    self._worker = None
                    return
                job = order[0]
                job.state = "running"
                self._round = job.round
                self._last_round = {s: r for s, r in self._last_round.items() if r >= self._round}
                self._publish(job)
                self._reorder()
            result, state, error = self._run(job)
            with self._lock:
                job.result, job.state, job.error = result, state, error
                self._publish(job)
                if state == "cancelled" and job.sessions:  # asked for again while it was stopping: start over
                    self._jobs[job.key] = _Job(job.key, job.arrival, job.round, sessions=job.sessions)
                self._reorder()

    def _run(self, job: _Job) -> tuple[RunResult | None, str, str]:
        variant, seed, steps = job.key

        def progress(p: Progress) -> None:
            with self._lock:
                job.step = p.step
                job.losses.append(p.loss)
                if p.miou is not None:
                    job.eval_steps.append(p.step)
                    job.mious.append(p.miou)
                if time.monotonic() - job.published >= PUBLISH_S:
                    self._publish(job)

        try:
            config = replace(TrainConfig(), steps=steps)
            result = train(
                variant, seed, config, callback=progress, step_guard=self._turn, threads=THREADS, stop=job.stop.is_set
            )
            return result, "done", ""
        except TrainingCancelled:
            return None, "cancelled", ""
        except Exception as exc:  # noqa: BLE001 - shown to the student, and the queue goes on
            return None, "failed", "".join(traceback.format_exception_only(exc)).strip()


_REGISTRY: JobRegistry | None = None
_CREATING = threading.Lock()


def registry(
    preloaded: tuple[RunResult, ...] = (), queue: TicketQueue | None = None, connected: Connected | None = None
) -> JobRegistry:
    """The one registry of this server process, made on first use with the shipped runs already in it, the
    server's inference queue to take turns in, and the page's way to tell whether a session is still connected.

    A module-level object rather than st.cache_resource: the worker thread and every session, and the tests,
    must see the same one, and clearing Streamlit's caches must not orphan a running job."""
    global _REGISTRY
    with _CREATING:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry(list(preloaded), queue, connected)
        return _REGISTRY
