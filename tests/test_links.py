"""A link is a view (AppTest): every lesson's controls are read from the query string, garbage in it falls back to
the defaults without an error, the state survives leaving a lesson, and the reset button restores the defaults.

Choices carry their label in the URL (that is how Streamlit binds a radio or a drop-down), so the expected
query values below are built from the catalogue in the link's language."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.samples import SAMPLES
from lessons.parts.widgets import VIEW_KEYS
from tests.apptest_support import open_page


def open_with(slug: str, lang: str, params: dict[str, str | list[str]]) -> AppTest:
    """The lesson opened from a link: ?lang=<lang> plus `params`, as a browser would send them."""
    at = open_page(slug, lang, params=params)
    assert not at.exception, [e.value for e in at.exception]
    return at


def link_cases(lang: str) -> dict[str, tuple[dict[str, str | list[str]], dict[str, object]]]:
    """Per lesson: query parameters that differ from every default, and the widget values they must give."""
    return {
        "overview": ({"input": "257", "log": "true"}, {"input": 257, "log": True}),
        "formula": (
            {"i": "9", "k": "5", "d": "3", "s": "2", "p": "1"},
            {"i": 9, "k": 5, "d": 3, "s": 2, "p": 1, "same": False},
        ),
        "receptive_field": (
            {
                "preset": text("receptive_field.presets.plain", lang),
                "depth": "7",
                "photo": text("receptive_field.samples.astronaut", lang),
                "rf_log": "false",
            },
            {"preset": "plain", "depth": 7, "photo": "astronaut", "rf_log": False},
        ),
        "large_rates": (
            {
                "os": text("large_rates.size_option", lang, n=33, os=16),
                "rate": "40",
                "all": "true",
                "where": text("large_rates.position_name.corner", lang),
            },
            {"os": 16, "rate": 40, "all": True, "where": "corner"},
        ),
        "output_stride": (
            {
                "mg_os": text("output_stride.os_name.8", lang),
                "r1": "2",
                "r3": "3",
                "os_photo": SAMPLES["chelsea"].label(lang),
                "strides": [text("output_stride.fig.os", lang, os=32), text("output_stride.fig.os", lang, os=8)],
            },
            {"mg_os": 8, "r1": 2, "r3": 3, "os_photo": "chelsea", "strides": [32, 8]},
        ),
        "aspp": ({"net": "mobilenet_v3_large", "size": "9"}, {"net": "mobilenet_v3_large", "size": 9}),
        "segment": (
            {
                "model": text("segment.model_name.resnet50", lang),
                "res": "320",
                "stride": "16",
                "mg": "true",
                "opacity": "0.3",
            },
            {"model": "resnet50", "res": 320, "stride": 16, "mg": True, "opacity": 0.3},
        ),
    }


SLUGS = list(link_cases("en"))
MODEL_PAGES = {"output_stride", "aspp", "segment"}


@pytest.fixture
def weights_for(request):
    """Model pages run with untrained weights saved to disk (never a download)."""

    def use(slug: str) -> None:
        if slug in MODEL_PAGES:
            request.getfixturevalue("random_weights")

    return use


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", SLUGS)
def test_a_link_restores_every_control(slug, lang, weights_for):
    weights_for(slug)
    params, expected = link_cases(lang)[slug]
    at = open_with(slug, lang, params)
    assert {key: at.session_state[key] for key in expected} == expected
    assert at.title[0].value == text(f"{slug}.title", lang)
    link = at.sidebar.code[0].value
    defaults = at.session_state[VIEW_KEYS][slug]
    for key in params:  # a value equal to its default is left out of the URL
        assert (f"{key}=" in link) == (expected[key] != defaults[key]), (key, link)
    assert f"lang={lang}" in link


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", SLUGS)
def test_garbage_in_the_link_falls_back_to_the_defaults(slug, lang, weights_for):
    weights_for(slug)
    clean = open_with(slug, lang, {})
    defaults = dict(clean.session_state[VIEW_KEYS][slug])
    assert defaults, "the lesson registers its controls"
    garbage = {key: "banana" for key in defaults} | {key: "-99999" for key in list(defaults)[:2]}
    at = open_with(slug, lang, garbage)
    assert not at.error or all("banana" not in e.value for e in at.error)
    assert {key: at.session_state[key] for key in defaults if key in at.session_state} == {
        key: value for key, value in defaults.items() if key in at.session_state
    }
    assert "banana" not in at.sidebar.code[0].value  # invalid values leave the URL, so the link is clean


def test_numbers_out_of_range_and_half_numbers_are_dropped_or_rounded():
    at = open_with("formula", "en", {"d": "99", "i": "0", "k": "3.7"})
    assert (at.slider(key="d").value, at.slider(key="i").value) == (2, 7)  # out of range: the defaults
    assert at.slider(key="k").value in (3, 4)  # a decimal lands on a whole step, never an error


def test_the_language_and_the_controls_travel_together():
    at = open_with("receptive_field", "zh", {"preset": text("receptive_field.presets.gridding", "zh")})
    assert at.session_state["preset"] == "gridding"
    assert at.title[0].value == text("receptive_field.title", "zh")


def test_a_label_in_the_other_language_is_dropped_quietly():
    at = open_with("receptive_field", "zh", {"preset": text("receptive_field.presets.gridding", "en")})
    assert at.session_state["preset"] == "plain"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_state_is_kept_when_a_student_leaves_and_comes_back(lang):
    at = open_page("formula", lang)
    at.slider(key="d").set_value(5).run()
    at.toggle(key="same").set_value(True).run()
    at.switch_page("lessons/overview.py")
    at.run()
    at.slider(key="input").set_value(129).run()
    at.switch_page("lessons/formula.py")
    at.run()
    assert not at.exception
    assert (at.slider(key="d").value, at.toggle(key="same").value) == (5, True)
    at.switch_page("lessons/overview.py")
    at.run()
    assert at.slider(key="input").value == 129


@pytest.mark.parametrize("lang", LANGUAGES)
def test_reset_puts_this_lesson_back_and_leaves_the_others(lang):
    at = open_page("overview", lang)
    at.slider(key="input").set_value(129).run()
    at.switch_page("lessons/formula.py")
    at.run()
    at.slider(key="d").set_value(6).run()
    at.slider(key="i").set_value(20).run()
    at.toggle(key="same").set_value(True).run()
    reset = at.sidebar.button(key="reset_formula")
    assert reset.label == text("common.reset", lang)
    reset.click().run()
    assert not at.exception
    assert (at.slider(key="d").value, at.slider(key="i").value, at.toggle(key="same").value) == (2, 7, False)
    at.switch_page("lessons/overview.py")
    at.run()
    assert at.slider(key="input").value == 129


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_sidebar_offers_the_link_in_the_readers_language(lang):
    at = open_with("formula", lang, {"d": "4"})
    assert text("common.link_caption", lang) in [c.value for c in at.sidebar.caption]
    link = at.sidebar.code[0].value
    assert link.endswith(("?lang=" + lang + "&d=4", "?d=4&lang=" + lang)), link


def test_untrained_weights_are_accepted_once_per_session(offline_without_weights):
    at = open_page("aspp", "en")
    at.toggle(key="untrained").set_value(True).run()
    assert not at.exception
    at.switch_page("lessons/output_stride.py")
    at.run()
    assert not at.exception
    assert at.toggle(key="untrained").value is True  # not asked again, for another page and another model
    assert text("output_stride.weights.untrained_note", "en") in [i.value for i in at.info]


def test_aspp_without_weights_points_to_the_weights_choice(offline_without_weights):
    at = open_page("aspp", "en")
    assert text("aspp.photo_needs_weights", "en") in [i.value for i in at.info]


def test_output_stride_says_its_own_untrained_note(random_weights, monkeypatch):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "random")
    at = open_page("output_stride", "en")
    infos = [i.value for i in at.info]
    assert text("output_stride.weights.untrained_note", "en") in infos
    assert text("aspp.weights.untrained_note", "en") not in infos
