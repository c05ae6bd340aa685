"""The photo CRF under the networks' workload bound: counted in network MACs (nets/workload.CrfWork), refused
before it queues with a translated message that says how many iterations would fit."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from deeplab_core.budget import fit_photo
from deeplab_core.config import CPU_JOB_GMACS, CRF_MACS_PER_PIXEL, CRF_MACS_PER_UNIT, MODEL_NAMES
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets.workload import CrfTooHeavyError, CrfWork, Work, check_workload, crf_iterations_that_fit
from tests.apptest_support import open_page

CRF_SHORT_SIDE = 320  # the CRF page's photo: short side 320 within the pixel budget
VOC = 21


def crf_job(name: str, size: tuple[int, int], iterations: int) -> list:
    """What the CRF page asks: the network's pass on the fitted photo, and the CRF on it."""
    return [Work(name, None, *size), CrfWork(*size, VOC, iterations)]


def fitted(width: int, height: int) -> tuple[int, int]:
    return fit_photo(Image.new("RGB", (width, height)), CRF_SHORT_SIDE)[1].size


def test_the_crf_grows_with_pixels_classes_and_iterations():
    one = CrfWork(100, 200, VOC, 1)
    assert one.macs == 100 * 200 * (CRF_MACS_PER_PIXEL + CRF_MACS_PER_UNIT * VOC)
    assert CrfWork(100, 200, VOC, 2).macs - one.macs == 100 * 200 * VOC * CRF_MACS_PER_UNIT
    assert CrfWork(200, 200, VOC, 1).macs == 2 * one.macs


def test_the_long_photo_of_the_report_is_refused_before_it_queues():
    """2560×640 with 10 iterations took 28–36 s and 1.9 GB on the classroom server (issue 23)."""
    size = fitted(2560, 640)
    assert size == (320, 1280)
    with pytest.raises(CrfTooHeavyError) as refused:
        check_workload("cpu", crf_job("resnet50", size, 10))
    error = refused.value
    assert error.values["iterations"] == 10 and error.values["limit"] == CPU_JOB_GMACS
    assert (error.values["width"], error.values["height"]) == (1280, 320)
    for lang in LANGUAGES:
        message = text(error.key, lang, **error.values)
        assert "1280×320" in message and str(CPU_JOB_GMACS) in message
    check_workload("cuda", crf_job("resnet50", size, 10))  # a GPU job is not bounded


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_an_ordinary_photo_at_the_default_iterations_runs(name):
    check_workload("cpu", crf_job(name, fitted(640, 480), 5))


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(MODEL_NAMES),
    width=st.integers(320, 16 * 320),
    iterations=st.integers(1, 10),
)
def test_the_iterations_said_to_fit_fit_and_one_more_does_not(name, width, iterations):
    size = fitted(width, 320)
    job = crf_job(name, size, iterations)
    try:
        check_workload("cpu", job)
        return
    except CrfTooHeavyError as error:
        fits = error.values["fits"]
        assert error.key == ("errors.workload.crf_fewer" if fits else "errors.workload.crf_smaller")
    assert fits < iterations and fits == crf_iterations_that_fit(job, job[1])
    if fits:
        check_workload("cpu", crf_job(name, size, fits))
    with pytest.raises(CrfTooHeavyError):
        check_workload("cpu", crf_job(name, size, fits + 1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_refuses_the_long_photo_in_the_readers_language(monkeypatch, lang):
    from lessons.parts import photo_input

    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "random")
    monkeypatch.setattr(photo_input, "_sample", lambda name: Image.new("RGB", (2560, 640), (90, 120, 200)))
    at = open_page("deeplab_v1_v2", lang)
    at.radio(key="dl_crf_source").set_value("photo").run()
    assert not at.exception, [e.value for e in at.exception]
    job = crf_job("resnet50", (320, 1280), 5)  # the page's default network and iterations
    with pytest.raises(CrfTooHeavyError) as refused:
        check_workload("cpu", job)
    assert text(refused.value.key, lang, **refused.value.values) in [e.value for e in at.error]
    assert not any(m.label == text("deeplab_v1_v2.crf_time", lang, device="cpu") for m in at.metric)  # never ran
