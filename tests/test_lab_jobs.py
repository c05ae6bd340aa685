"""The train lab's shared queue: one run however many ask, fair turns and a share per student, cancellation when
nobody is left, one published progress per job (deeplab_core/serving/lab_jobs.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from deeplab_core.errors import LabError
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets.lab import results
from deeplab_core.nets.lab.training import Progress, TrainConfig, TrainingCancelled, train
from deeplab_core.serving import lab_jobs
from deeplab_core.serving.lab_jobs import GRACE_S, MAX_QUEUE, PER_SESSION, JobRegistry
from deeplab_core.serving.queue import TicketQueue
from tests.waiting import eventually

TINY = TrainConfig(steps=6, batch_size=2, validation_scenes=2, evaluate_every=3)


class FakeTraining:
    """`train`'s contract without a network: steps that wait for `go` (set: run freely), ask `stop` before each
    step, take the step guard, report progress. Records which keys ran."""

    def __init__(self, free: bool = False) -> None:
        self.go = threading.Event()
        if free:
            self.go.set()
        self.step_s = 0.0  # how long a step takes
        self.ran: list[tuple[str, int, int]] = []
        self.steps_done: dict[tuple[str, int, int], int] = {}

    def __call__(self, variant, seed, config, *, callback=None, step_guard=nullcontext, stop=lambda: False, **_):
        key = (variant, seed, config.steps)
        self.ran.append(key)
        for step in range(1, config.steps + 1):
            assert self.go.wait(10), "the test never let the fake train"
            if stop():
                raise TrainingCancelled(str(key))
            with step_guard():
                time.sleep(self.step_s)
                self.steps_done[key] = step
            if callback is not None:
                callback(Progress(step, config.steps, 1.0 / step, 0.5 if step % 5 == 0 else None, 0.0))
        return results.load().runs[0]


@pytest.fixture
def fake(monkeypatch) -> Iterator[FakeTraining]:
    training = FakeTraining()
    monkeypatch.setattr(lab_jobs, "train", training)
    yield training
    training.go.set()  # never leave a worker waiting after the test


def states(jobs: JobRegistry, keys) -> list[str]:
    return [view.state for view in jobs.snapshot(keys)]


def test_one_run_however_many_ask(fake):
    jobs = JobRegistry()
    key = ("c", 7, 5)
    threads = [threading.Thread(target=jobs.submit, args=([key], f"s{i}")) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fake.go.set()
    eventually(lambda: states(jobs, [key]) == ["done"], 10, "the run did not finish")
    assert fake.ran == [key]
    assert jobs.snapshot([key])[0].result is not None


def test_a_students_own_runs_wait_behind_the_other_students_first_runs(fake):
    jobs = JobRegistry()
    alice = [("a", s, 5) for s in range(3)]
    jobs.submit(alice, "alice")
    eventually(lambda: states(jobs, alice[:1]) == ["running"], 5, "alice's first run did not start")
    jobs.submit([("b", 0, 5)], "bob")
    jobs.submit([("c", 0, 5), ("c", 1, 5)], "carol")
    # running: alice 0; round 1: bob 0, carol 0 (arrival); round 2: alice 1, carol 1; round 3: alice 2
    expected = {("b", 0, 5): 1, ("c", 0, 5): 2, ("a", 1, 5): 3, ("c", 1, 5): 4, ("a", 2, 5): 5}
    assert {v.key: v.queue_position for v in jobs.snapshot(list(expected))} == expected
    fake.go.set()
    keys = [alice[0], *sorted(expected, key=expected.__getitem__)]
    eventually(lambda: set(states(jobs, keys)) == {"done"}, 10, "the queue did not drain")
    assert fake.ran == keys


def test_one_student_holds_at_most_a_third_of_the_queue(fake):
    assert PER_SESSION * 3 == MAX_QUEUE
    jobs = JobRegistry()
    every_variant = [(v, s, 5) for v in "abcdef" for s in (0, 1)]  # six variants, two seeds: twelve runs
    with pytest.raises(LabError) as refused:
        jobs.submit(every_variant, "greedy")
    assert refused.value.key == "train.queue.quota" and refused.value.values["limit"] == PER_SESSION
    for lang in LANGUAGES:
        assert str(PER_SESSION) in text(refused.value.key, lang, **refused.value.values)
    jobs.submit(every_variant[:PER_SESSION], "greedy")
    with pytest.raises(LabError, match="Too many runs"):
        jobs.submit(every_variant[PER_SESSION : PER_SESSION + 1], "greedy")
    jobs.submit(every_variant[:PER_SESSION], "friend")  # joining runs already queued costs nothing
    assert jobs.held("greedy") == PER_SESSION and jobs.held("friend") == 0
    jobs.submit(every_variant[PER_SESSION : 2 * PER_SESSION], "friend")  # and the others still get their share
    assert len([s for s in states(jobs, every_variant) if s in ("queued", "running")]) == 2 * PER_SESSION


def test_a_full_queue_refuses_politely(fake):
    jobs = JobRegistry()
    for i in range(MAX_QUEUE // PER_SESSION):
        jobs.submit([("a", i * PER_SESSION + s, 5) for s in range(PER_SESSION)], f"student{i}")
    with pytest.raises(LabError) as refused:
        jobs.submit([("b", 0, 5)], "late")
    assert refused.value.key == "train.busy"
    assert text(refused.value.key, "zh", **refused.value.values)
    fake.go.set()
    keys = [("a", s, 5) for s in range(MAX_QUEUE)]
    eventually(lambda: set(states(jobs, keys)) == {"done"}, 10, "the queue did not drain")


def test_a_run_nobody_wants_any_more_is_cancelled_and_can_be_asked_for_again(fake):
    jobs = JobRegistry()
    running, waiting, shared = ("a", 0, 50), ("b", 0, 5), ("c", 0, 5)
    jobs.submit([running, waiting, shared], "alice")
    jobs.submit([shared], "bob")
    eventually(lambda: states(jobs, [running]) == ["running"], 5, "the first run did not start")
    jobs.cancel([running, waiting, shared], "alice")
    assert states(jobs, [waiting, shared]) == ["cancelled", "queued"]  # bob still wants the shared one
    fake.go.set()
    eventually(lambda: states(jobs, [running, shared]) == ["cancelled", "done"], 10, "the runs did not settle")
    assert running not in fake.steps_done and waiting not in fake.ran  # stopped before its next step
    jobs.submit([waiting], "alice")
    eventually(lambda: states(jobs, [waiting]) == ["done"], 10, "the run asked for again did not run")


def test_the_watchdog_forgets_a_closed_session_after_the_grace_and_cancels_its_runs(fake):
    open_sessions = {"alice", "bob"}
    jobs = JobRegistry(connected=open_sessions.__contains__)
    alone, shared = ("a", 1, 50), ("b", 1, 5)
    jobs.submit([alone, shared], "alice")
    jobs.submit([shared], "bob")
    eventually(lambda: states(jobs, [alone]) == ["running"], 5, "the run did not start")
    open_sessions.discard("alice")  # her tab closed
    start = time.monotonic()
    jobs.sweep(now=start)  # she may be reloading: not yet
    jobs.sweep(now=start + GRACE_S / 2)
    assert states(jobs, [alone, shared]) == ["running", "queued"]
    assert not [job for job in jobs._jobs.values() if job.stop.is_set()]
    jobs.sweep(now=start + GRACE_S)
    fake.go.set()
    eventually(lambda: states(jobs, [alone, shared]) == ["cancelled", "done"], 10, "the runs did not settle")


def test_a_session_back_within_the_grace_keeps_its_runs(fake):
    open_sessions = {"alice"}
    jobs = JobRegistry(connected=open_sessions.__contains__)
    jobs.submit([("a", 2, 5)], "alice")
    eventually(lambda: states(jobs, [("a", 2, 5)]) == ["running"], 5, "the run did not start")
    start = time.monotonic()
    open_sessions.clear()
    jobs.sweep(now=start)
    open_sessions.add("alice")  # the reload reconnected her session
    jobs.sweep(now=start + GRACE_S / 2)
    open_sessions.clear()
    jobs.sweep(now=start + GRACE_S)  # gone again, but seen only half a grace ago
    assert states(jobs, [("a", 2, 5)]) == ["running"]
    assert not [job for job in jobs._jobs.values() if job.stop.is_set()]
    jobs.sweep(now=start + 1.5 * GRACE_S)  # and now a whole grace ago
    fake.go.set()
    eventually(lambda: states(jobs, [("a", 2, 5)]) == ["cancelled"], 10, "the run did not stop")


def test_a_closed_sessions_run_stops_on_its_own_within_ten_seconds(monkeypatch, fake):
    """The watchdog thread itself, at its real period and grace: no sweep called by the test."""
    open_sessions = {"alice"}
    jobs = JobRegistry(connected=open_sessions.__contains__)
    key = ("d", 3, 10_000)
    fake.step_s = 0.01  # 100 s of training if nothing stops it
    jobs.submit([key], "alice")
    fake.go.set()
    eventually(lambda: fake.steps_done.get(key, 0) > 0, 5, "the run did not start")
    open_sessions.clear()
    eventually(lambda: states(jobs, [key]) == ["cancelled"], 10, "the closed session's run did not stop")
    assert fake.steps_done[key] < key[2]


def test_progress_is_published_once_per_change_and_shared_by_every_watcher(monkeypatch, fake):
    clock = [0.0]
    monkeypatch.setattr(lab_jobs.time, "monotonic", lambda: clock[0])
    jobs = JobRegistry()
    key = ("e", 0, 12)
    jobs.submit([key], "alice")
    eventually(lambda: states(jobs, [key]) == ["running"], 5, "the run did not start")
    first = jobs.snapshot([key])[0]
    assert jobs.snapshot([key])[0] is first  # every watcher gets the same object until something changes
    fake.go.set()
    eventually(lambda: fake.steps_done.get(key) == 12, 5, "the run did not finish its steps")
    eventually(lambda: states(jobs, [key]) == ["done"], 5, "the run did not finish")
    done = jobs.snapshot([key])[0]
    assert done.version > first.version and done.losses == tuple(1.0 / s for s in range(1, 13))
    clock[0] += 10  # time passes, nothing changes: the same view
    assert jobs.snapshot([key])[0] is done


def test_a_running_jobs_view_is_rebuilt_at_most_every_publish_interval(monkeypatch):
    """Twelve steps within one interval give one new view, not twelve (the page caches a figure per version)."""
    clock = [0.0]
    monkeypatch.setattr(lab_jobs.time, "monotonic", lambda: clock[0])
    versions: list[int] = []
    jobs = JobRegistry()

    def fake_train(variant, seed, config, *, callback, **_):
        for step in range(1, 13):
            callback(Progress(step, 12, 1.0, None, 0.0))
            versions.append(jobs.snapshot([(variant, seed, config.steps)])[0].version)
            if step == 6:
                clock[0] += lab_jobs.PUBLISH_S
        return results.load().runs[0]

    monkeypatch.setattr(lab_jobs, "train", fake_train)
    jobs.submit([("f", 0, 12)], "alice")
    eventually(lambda: len(versions) == 12, 5, "the run did not finish")
    assert len(set(versions)) == 2  # the view from the start, and one rebuilt after the interval


def test_lab_steps_take_turns_with_the_servers_other_jobs(fake):
    """While another page's job holds the server's queue, the lab's next step waits for it."""
    queue = TicketQueue()
    segmenting = queue.join()  # someone's segmentation is running
    jobs = JobRegistry(queue=queue)
    fake.go.set()
    jobs.submit([("a", 3, 3)], "alice")
    # the worker is in its first step's guard: its ticket is in line behind the segmentation, waiting its turn
    eventually(lambda: len(queue) == 2, 5, "the lab's first step did not join the queue")
    assert ("a", 3, 3) not in fake.steps_done and states(jobs, [("a", 3, 3)]) == ["running"]
    queue.leave(segmenting)
    eventually(lambda: states(jobs, [("a", 3, 3)]) == ["done"], 5, "the lab did not finish")
    assert fake.steps_done[("a", 3, 3)] == 3


def test_training_stops_before_the_step_after_stop_says_so():
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    seen: list[Progress] = []
    with pytest.raises(TrainingCancelled):
        train("a", 0, TINY, device="cpu", callback=seen.append, threads=1, stop=stop)
    assert [p.step for p in seen] == [1, 2, 3]


def test_training_asks_stop_before_scoring_too():
    asked: list[int] = []

    def stop() -> bool:  # false before every step, true after the last
        asked.append(1)
        return len(asked) > TINY.steps

    with pytest.raises(TrainingCancelled, match="scoring"):
        train("a", 0, TINY, device="cpu", threads=1, stop=stop)


def test_watchers_are_the_sessions_waiting_on_unfinished_runs(fake):
    jobs = JobRegistry()
    first, second = ("c", 1, 5), ("c", 2, 5)
    jobs.submit([first], "s1")
    for i in range(2, 12):
        jobs.submit([first if i % 2 else second], f"s{i}")
    jobs.submit([first, second], "s1")  # asking again is no second watcher
    assert jobs.watchers() == 11
    fake.go.set()
    eventually(lambda: states(jobs, [first, second]) == ["done", "done"], 10, "the runs did not finish")
    assert jobs.watchers() == 0  # nobody watches a finished run: its page shows the result


def test_the_watchers_refreshes_together_stay_bounded_however_many_watch():
    from deeplab_core.serving.watching import VIEW_RERUNS_PER_S, VIEW_S, view_interval

    assert view_interval(0) == view_interval(3) == VIEW_S  # a few watchers: every 3 s
    for watchers in (1, 9, 10, 30, 100, 1000):
        assert watchers / view_interval(watchers) <= VIEW_RERUNS_PER_S  # refreshes a second, all of them together
    assert view_interval(30) == pytest.approx(30 / VIEW_RERUNS_PER_S)  # a class of 30: every 10 s
