"""Every page that exists runs in both languages without an exception and shows its own title."""

import pytest

from deeplab_core.i18n import LANGUAGES, text
from lessons import available_lessons
from tests.apptest_support import open_page

SLUGS = [lesson.slug for lesson in available_lessons()]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", SLUGS)
def test_page_runs_in_both_languages(slug, lang):
    at = open_page(slug, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text(f"{slug}.title", lang)
    assert at.query_params["lang"] == [lang] or at.query_params["lang"] == lang


def test_language_switch_in_sidebar_changes_the_page():
    at = open_page("formula", "en")
    assert at.title[0].value == text("formula.title", "en")
    at.sidebar.radio[0].set_value("zh").run()
    assert at.title[0].value == text("formula.title", "zh")
    assert not at.exception


def test_unknown_language_falls_back_to_english():
    at = open_page("formula", "fr")
    assert at.title[0].value == text("formula.title", "en")


def test_sidebar_shows_the_compute_device_and_versions():
    import torch

    at = open_page("formula", "en")
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert f"torch {torch.__version__}" in captions
    assert "CPU" in captions or "CUDA" in captions or "MPS" in captions


def test_formula_slider_changes_the_numbers():
    at = open_page("formula", "en")
    before = [m.value for m in at.metric]
    assert before[:2] == ["3 × 3", "3 × 3"]  # i=7, k=3, d=2: k'=5, o=3, and torch agrees
    at.slider(key="d").set_value(3).run()
    assert [m.value for m in at.metric][:2] == ["1 × 1", "1 × 1"]
    assert at.success and not at.error


@pytest.mark.parametrize("lang", LANGUAGES)
def test_formula_invalid_combination_shows_a_message_not_a_traceback(lang):
    at = open_page("formula", lang)
    at.slider(key="i").set_value(5)
    at.slider(key="d").set_value(8).run()
    assert not at.exception
    assert at.error[0].value == text("errors.conv.too_large", lang, effective=17, padded=5, needed=6)
    # The formula and PyTorch agree that it is impossible.
    assert at.success[0].value == text("common.agrees", lang)


def test_formula_same_padding_switch():
    at = open_page("formula", "en")
    at.slider(key="i").set_value(9)
    at.toggle(key="same").set_value(True).run()
    metrics = [m.value for m in at.metric]
    assert metrics[0] == "2" and metrics[1:3] == ["9 × 9", "9 × 9"]  # p = d(k-1)/2 = 2 keeps 9 → 9
    at.slider(key="k").set_value(4).run()  # k'=7 at d=2: odd, p=3
    assert [m.value for m in at.metric][0] == "3"
    at.slider(key="d").set_value(1).run()  # k'=4: even, no symmetric padding
    assert at.warning and not at.exception
