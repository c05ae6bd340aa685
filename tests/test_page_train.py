"""The train-lab page: shipped results at once, a tiny live run in both languages, one run shared by all."""

import threading

import pytest

from deeplab_core.errors import LabError
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets.lab import results
from deeplab_core.nets.lab.training import TrainConfig
from deeplab_core.serving import lab_jobs
from deeplab_core.serving.lab_jobs import JobRegistry
from tests.apptest_support import open_page
from tests.waiting import eventually


def wait_until_done(at, keys, timeout: float = 120):
    """Rerun the page, as the polling fragment would, once every requested run has finished."""
    jobs = lab_jobs.registry(tuple(results.load().runs))

    def finished() -> bool:
        views = jobs.snapshot(keys)
        return len(views) == len(keys) and all(v.state in ("done", "failed") for v in views)

    eventually(finished, timeout, "the lab did not finish")
    return at.run()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_shipped_results_then_a_tiny_live_run(lang):
    at = open_page("train", lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text("train.title", lang)
    shipped = results.load()
    command = text("train.shipped_caption", lang, command=shipped.command, cpu=shipped.machine["cpu"],
                   device=shipped.machine["device_name"], threads=shipped.machine["threads"],
                   created=shipped.created)  # fmt: skip
    assert command in [c.value for c in at.caption]
    shown = [m.value for m in at.markdown]
    for score, v in results.answers(list(shipped.runs)):  # every verdict, computed from the file, is on the page
        x, y = (text(f"train.variant_short.{k}", lang) for k in (v.better, v.worse))
        name = "mIoU" if score == "miou" else text(f"train.class.{score}", lang)
        line = text(f"train.verdict.{v.outcome}", lang, x=x, y=y, score=name, margin=100 * v.margin,
                    noise=100 * v.noise)  # fmt: skip
        assert f"- {line}" in shown
    seed = 11 + LANGUAGES.index(lang)  # a seed nobody else trains here, so the run is really live
    keys = [("a", seed, 2), ("b", seed, 2)]
    at.multiselect(key="train_variants").set_value(["a", "b"])
    at.slider(key="train_seed").set_value(seed)
    at.slider(key="train_steps").set_value(2)
    at.button(key="train_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at = wait_until_done(at, keys)
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.caption]
    for key in ("a", "b"):
        name = text(f"train.variant_short.{key}", lang)
        assert text("train.state.done", lang, name=name, step=2, steps=2) in captions
    # One seed: the page says it is no verdict, with the margin computed from the two live runs.
    runs = [v.result for v in lab_jobs.registry(tuple(shipped.runs)).snapshot(keys)]
    ((_, verdict),) = results.answers(runs)
    names = {k: text(f"train.variant_short.{k}", lang) for k in ("a", "b")}
    expected = text("train.verdict.one_seed", lang, x=names["b"], y=names["a"], score="mIoU",
                    margin=100 * verdict.margin, noise=0.0)  # fmt: skip
    assert f"- {expected}" in [m.value for m in at.markdown]


def test_a_shipped_run_is_served_from_the_cache_without_training():
    at = open_page("train", "en")
    at.multiselect(key="train_variants").set_value(["b"])
    at.slider(key="train_seed").set_value(0)
    at.slider(key="train_steps").set_value(results.load().runs[0].steps)
    at.button(key="train_go").click().run()
    name = text("train.variant_short.b", "en")
    steps = results.load().runs[0].steps
    assert text("train.state.cached", "en", name=name, step=steps, steps=steps) in [c.value for c in at.caption]


def test_one_run_however_many_ask(monkeypatch):
    calls = []
    training = threading.Event()  # the run stays in progress until every request has been made

    def fake_train(variant, seed, config: TrainConfig, callback=None, **_):
        calls.append((variant, seed, config.steps))
        training.wait(10)
        return results.load().runs[0]

    monkeypatch.setattr(lab_jobs, "train", fake_train)
    jobs = JobRegistry()
    key = ("c", 7, 5)
    threads = [threading.Thread(target=jobs.submit, args=([key],)) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    training.set()
    eventually(lambda: jobs.snapshot([key])[0].state == "done", 10, "the run did not finish")
    assert calls == [key]
    assert jobs.snapshot([key])[0].result is not None


def test_a_full_queue_refuses_politely(monkeypatch):
    gate = threading.Event()
    monkeypatch.setattr(lab_jobs, "train", lambda *a, **k: gate.wait(5))
    jobs = JobRegistry()
    jobs.submit([("a", s, 5) for s in range(lab_jobs.MAX_QUEUE)])
    with pytest.raises(LabError) as refused:
        jobs.submit([("b", 0, 5)])
    assert refused.value.key == "train.busy"
    assert text(refused.value.key, "zh", **refused.value.values)
    gate.set()
    keys = [("a", s, 5) for s in range(lab_jobs.MAX_QUEUE)]  # the worker drains before the fake is unpatched
    eventually(lambda: all(v.state == "done" for v in jobs.snapshot(keys)), 10, "the queue did not drain")


def test_lab_steps_take_turns_with_the_servers_other_jobs(monkeypatch):
    """While another page's job holds the server's queue, the lab's next step waits for it."""
    from deeplab_core.serving.queue import TicketQueue

    steps_run = []

    def fake_train(variant, seed, config, callback=None, step_guard=None, **_):
        for step in range(3):
            with step_guard():
                steps_run.append(step)
        return results.load().runs[0]

    monkeypatch.setattr(lab_jobs, "train", fake_train)
    queue = TicketQueue()
    segmenting = queue.join()  # someone's segmentation is running
    jobs = JobRegistry(queue=queue)
    jobs.submit([("a", 3, 3)])
    # the worker is in its first step's guard: its ticket is in line behind the segmentation, waiting its turn
    eventually(lambda: len(queue) == 2, 5, "the lab's first step did not join the queue")
    assert steps_run == [] and jobs.snapshot([("a", 3, 3)])[0].state == "running"
    queue.leave(segmenting)
    eventually(lambda: jobs.snapshot([("a", 3, 3)])[0].state == "done", 5, "the lab did not finish")
    assert steps_run == [0, 1, 2]
