"""The train-lab page: shipped results at once, a tiny live run in both languages, a student's share of the
queue and the cancel button (the queue itself: tests/test_lab_jobs.py)."""

import pytest

from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets.lab import results
from deeplab_core.nets.lab.variants import VARIANTS
from deeplab_core.serving import lab_jobs
from tests.apptest_support import open_page
from tests.waiting import eventually


def wait_until_done(at, keys, timeout: float = 120):
    """Rerun the page, as the polling fragment would, once every requested run has finished."""
    jobs = lab_jobs.registry(tuple(results.load().runs))

    def finished() -> bool:
        views = jobs.snapshot(keys)
        return len(views) == len(keys) and all(v.state not in lab_jobs.UNFINISHED for v in views)

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
        line = text(f"train.verdict.{v.outcome}", lang, x=x, y=y, score=name, margin=abs(100 * v.margin),
                    noise=100 * v.noise)  # fmt: skip
        assert "-" not in line.split(name)[-1]  # a distance, never "falls behind by -1.3"
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


def test_a_student_asking_for_more_than_a_third_of_the_queue_is_told_so_in_their_language():
    for lang in LANGUAGES:
        at = open_page("train", lang)
        at.multiselect(key="train_variants").set_value(list(VARIANTS))  # all six: more than a student's share
        at.slider(key="train_seed").set_value(19)
        at.button(key="train_go").click().run()
        assert not at.exception, [e.value for e in at.exception]
        expected = text("train.queue.quota", lang, held=0, asked=len(VARIANTS), limit=lab_jobs.PER_SESSION)
        assert expected in [e.value for e in at.error]


def test_the_cancel_button_stops_my_run():
    at = open_page("train", "en")
    key = ("c", 17, 400)  # long enough to be running (or waiting) when the button is pressed
    at.multiselect(key="train_variants").set_value([key[0]])
    at.slider(key="train_seed").set_value(key[1])
    at.slider(key="train_steps").set_value(key[2])
    at.button(key="train_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="train_cancel").click().run()
    at = wait_until_done(at, [key], timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    view = lab_jobs.registry().snapshot([key])[0]
    assert view.state == "cancelled" and view.step < key[2]
    name = text("train.variant_short.c", "en")
    assert text("train.state.cancelled", "en", name=name, step=view.step, steps=key[2]) in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "train_cancel"]  # nothing left to cancel
