"""A link is a view (AppTest): every lesson's controls are read from the query string, garbage in it falls back to
the defaults without an error, the state survives leaving a lesson, and the reset button restores the defaults.

Links hold language-neutral values: numbers, true/false, and a choice's option key (never its translated label),
so the same query string gives the same view in every language."""

from __future__ import annotations

import functools

import pytest
from streamlit.testing.v1 import AppTest

from deeplab_core.i18n import LANGUAGES, text
from lessons.parts.widgets import VIEW_KEYS
from tests.apptest_support import open_page


def open_with(slug: str, lang: str, params: dict[str, str | list[str]]) -> AppTest:
    """The lesson opened from a link: ?lang=<lang> plus `params`, as a browser would send them."""
    at = open_page(slug, lang, params=params)
    assert not at.exception, [e.value for e in at.exception]
    return at


# Per lesson: query parameters that differ from every default, and the widget values they must give.
LINK_CASES: dict[str, tuple[dict[str, str | list[str]], dict[str, object]]] = {
    "overview": ({"input": "257", "log": "true"}, {"input": 257, "log": True}),
    "formula": (
        {"i": "9", "k": "5", "d": "3", "s": "2", "p": "1"},
        {"i": 9, "k": 5, "d": 3, "s": 2, "p": 1, "same": False},
    ),
    "receptive_field": (
        {"preset": "plain", "depth": "7", "photo": "astronaut", "rf_log": "false"},
        {"preset": "plain", "depth": 7, "photo": "astronaut", "rf_log": False},
    ),
    "large_rates": (
        {"os": "16", "rate": "40", "all": "true", "where": "corner"},
        {"os": 16, "rate": 40, "all": True, "where": "corner"},
    ),
    "output_stride": (
        {"mg_os": "8", "r1": "2", "r3": "3", "os_photo": "chelsea", "strides": ["32", "8"]},
        {"mg_os": 8, "r1": 2, "r3": 3, "os_photo": "chelsea", "strides": [32, 8]},
    ),
    "aspp": ({"net": "mobilenet_v3_large", "size": "9"}, {"net": "mobilenet_v3_large", "size": 9}),
    "segment": (
        {"model": "resnet50", "res": "320", "stride": "16", "mg": "true", "opacity": "0.3", "segment_photo": "coffee"},
        {"model": "resnet50", "res": 320, "stride": 16, "mg": True, "opacity": 0.3, "segment_photo": "coffee"},
    ),
    "train": (
        {"train_variants": ["c", "e-hdc"], "train_steps": "50"},
        {"train_variants": ["c", "e-hdc"], "train_steps": 50},
    ),
}


def url(at: AppTest, key: str) -> list[str]:
    """The address bar's values of one parameter, as a list (AppTest keeps one value as a bare string)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def link_cases(lang: str) -> dict[str, tuple[dict[str, str | list[str]], dict[str, object]]]:
    """The same in every language: that is the point (kept as a function for the browser tests' sake)."""
    return LINK_CASES


SLUGS = list(link_cases("en"))


@functools.cache
def lesson_defaults(slug: str) -> dict[str, object]:
    """The lesson's controls and their defaults, as it registers them on a clean run (the same in every language:
    one run per lesson and worker)."""
    return dict(open_with(slug, "en", {}).session_state[VIEW_KEYS][slug])


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
    defaults = lesson_defaults(slug)
    assert defaults, "the lesson registers its controls"
    garbage = {key: "banana" for key in defaults} | {key: "-99999" for key in list(defaults)[:2]}
    garbage["projector"] = "banana"  # the sidebar's switch too
    at = open_with(slug, lang, garbage)
    assert not at.error or all("banana" not in e.value for e in at.error)
    assert {key: at.session_state[key] for key in defaults if key in at.session_state} == {
        key: value for key, value in defaults.items() if key in at.session_state
    }
    assert "banana" not in at.sidebar.code[0].value  # invalid values leave the URL, so the link is clean
    assert not [key for key in at.query_params if "banana" in url(at, key)]  # and the address bar


def test_numbers_out_of_range_and_half_numbers_are_dropped_or_rounded():
    at = open_with("formula", "en", {"d": "99", "i": "0", "k": "3.7"})
    assert (at.slider(key="d").value, at.slider(key="i").value) == (2, 7)  # out of range: the defaults
    assert at.slider(key="k").value in (3, 4)  # a decimal lands on a whole step, never an error


@pytest.mark.parametrize("slug", ["receptive_field", "output_stride", "segment", "train"])
def test_a_link_gives_the_same_view_in_either_language(slug, weights_for):
    """A Chinese link opened in English (the same query string, another ?lang=) restores the same controls, and
    the two views' own links differ only in the language."""
    weights_for(slug)
    params, expected = LINK_CASES[slug]
    views = {lang: open_with(slug, lang, params) for lang in LANGUAGES}
    for lang, at in views.items():
        assert {key: at.session_state[key] for key in expected} == expected, lang
    links = {lang: at.sidebar.code[0].value.replace(f"lang={lang}", "lang=") for lang, at in views.items()}
    assert len(set(links.values())) == 1, links


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_link_holds_option_keys_not_labels(lang):
    at = open_page("receptive_field", lang)
    at.radio(key="preset").set_value("gridding").run()
    link = at.sidebar.code[0].value
    assert "preset=gridding" in link and url(at, "preset") == ["gridding"], link
    assert text("receptive_field.presets.gridding", lang) not in link
    at.radio(key="preset").set_value("plain").run()  # back to the default: out of the link and the URL
    assert "preset=" not in at.sidebar.code[0].value and "preset" not in at.query_params


def test_a_translated_label_in_a_link_is_no_value():
    at = open_with("receptive_field", "en", {"preset": text("receptive_field.presets.gridding", "en")})
    assert at.session_state["preset"] == "plain" and "preset" not in at.query_params


def test_switching_language_keeps_every_choice():
    at = open_with("receptive_field", "en", {"preset": "gridding", "photo": "astronaut"})
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert (at.session_state["preset"], at.session_state["photo"]) == ("gridding", "astronaut")
    assert at.radio(key="preset").value == "gridding"
    link = at.sidebar.code[0].value
    assert "preset=gridding" in link and "photo=astronaut" in link and "lang=zh" in link


def test_leaving_a_lesson_takes_its_choices_out_of_the_address_bar():
    at = open_with("receptive_field", "en", {"preset": "gridding"})
    at.switch_page("lessons/formula.py")
    at.run()
    assert "preset" not in at.query_params
    at.switch_page("lessons/receptive_field.py")
    at.run()
    assert at.session_state["preset"] == "gridding" and url(at, "preset") == ["gridding"]


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
    assert "untrained=true" in at.sidebar.code[0].value  # the link shows the same view
    at.switch_page("lessons/output_stride.py")
    at.run()
    assert not at.exception
    assert at.toggle(key="untrained").value is True  # not asked again, for another page and another model
    assert text("output_stride.weights.untrained_note", "en") in [i.value for i in at.info]
    at.sidebar.button(key="reset_output_stride").click().run()
    assert at.toggle(key="untrained").value is True  # a session's decision, not a control of the lesson


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_link_turns_untrained_weights_on(offline_without_weights, lang):
    at = open_with("aspp", lang, {"untrained": "true"})
    assert at.toggle(key="untrained").value is True
    assert text("aspp.photo_needs_weights", lang) not in [i.value for i in at.info]


def test_aspp_without_weights_points_to_the_weights_choice(offline_without_weights):
    at = open_page("aspp", "en")
    assert text("aspp.photo_needs_weights", "en") in [i.value for i in at.info]


def test_output_stride_says_its_own_untrained_note(random_weights, monkeypatch):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "random")
    at = open_page("output_stride", "en")
    infos = [i.value for i in at.info]
    assert text("output_stride.weights.untrained_note", "en") in infos
    assert text("aspp.weights.untrained_note", "en") not in infos
