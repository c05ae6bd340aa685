"""The large-rates lesson: its numbers follow the controls and match deeplab_core, in both languages."""

import json

import pytest

from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.maths.valid_weights import tap_validity_at, valid_weight_fractions
from lessons import COURSE
from tests.apptest_support import open_page


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_fraction(at, count: int, lang: str) -> str:
    return metrics(at)[text("large_rates.metric_valid", lang, n=count)]


def chart(at, key: str) -> dict:
    return json.loads(next(el for el in at.get("plotly_chart") if el.proto.id.endswith(f"-{key}")).proto.spec)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_slider_changes_the_numbers(lang):
    at = open_page("large_rates", lang)
    assert not at.exception
    assert at.title[0].value == text("large_rates.title", lang)
    at.slider(key="rate").set_value(12).run()
    nine_at_12 = shown_fraction(at, 9, lang)
    assert nine_at_12 == f"{((65 - 24) / 65) ** 2:.1%}"  # DeepLabv3's 65×65 map, rate 12
    at.slider(key="rate").set_value(40).run()
    assert shown_fraction(at, 9, lang) == "0.0%" != nine_at_12
    assert shown_fraction(at, 1, lang) == f"{((80 - 65) / 65) ** 2:.1%}"
    assert at.success[0].value == text("large_rates.torch_agrees", lang, positions=65 * 65, taps=9 * 65 * 65)
    assert not at.exception


@pytest.mark.parametrize("lang", LANGUAGES)
def test_map_size_moves_the_degenerate_rate(lang):
    at = open_page("large_rates", lang)
    label = text("large_rates.degenerate_rate", lang, n=65)
    assert metrics(at)[label] == "65"
    at.radio(key="os").set_value(16).run()
    assert metrics(at)[text("large_rates.degenerate_rate", lang, n=33)] == "33"
    at.slider(key="rate").set_value(18).run()
    assert shown_fraction(at, 4, lang) == f"{valid_weight_fractions(33, 18).get(4, 0.0):.1%}"
    captions = [c.value for c in at.caption]
    rates = text("large_rates.list_sep", lang).join(["6", "12", "18"])
    assert text("large_rates.aspp_marked", lang, rates=rates, os=16) in captions
    at.radio(key="os").set_value(4).run()
    assert text("large_rates.aspp_none", lang) in [c.value for c in at.caption]
    assert not at.exception


def test_position_choice_moves_the_footprint():
    at = open_page("large_rates", "en")
    at.slider(key="rate").set_value(30).run()
    for where, (row, col) in (("centre", (32, 32)), ("edge", (32, 0)), ("corner", (0, 0))):
        at.radio(key="where").set_value(where).run()
        valid = int(tap_validity_at(65, 30, row, col).sum())
        expected = text(
            "large_rates.footprint_caption", "en", row=row, col=col, valid=valid, total=9, padding=9 - valid
        )
        assert expected in [c.value for c in at.caption], where
    assert not at.exception


def curve_names(at) -> set[str]:
    return {trace["name"] for trace in chart(at, "large_rates_curves")["data"] if "name" in trace}


def test_show_every_count_adds_the_curves_the_paper_leaves_out():
    at = open_page("large_rates", "en")
    assert curve_names(at) == {"1 valid weight", "4 valid weights", "9 valid weights"}
    at.toggle(key="all").set_value(True).run()
    assert curve_names(at) == {
        "1 valid weight",
        "2 valid weights",
        "4 valid weights",
        "6 valid weights",
        "9 valid weights",
    }


def test_aspp_link_only_when_the_lesson_exists():
    at = open_page("large_rates", "en")
    aspp = next(lesson for lesson in COURSE if lesson.slug == "aspp")
    assert bool(at.get("page_link")) == aspp.path.exists()
