"""The DeepLab v1/v2 lesson in both languages: the measured tables, the timing, the CRF's steps under one control."""

import json

import pytest

from deeplab_core.facts import fact
from deeplab_core.i18n import LANGUAGES, text
from tests.apptest_support import open_page

NS = "deeplab_v1_v2"
KEYS = ("7x7_r4", "4x4_r4", "4x4_r8", "largefov")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def charts(at) -> list[dict]:
    """Every plotly figure on the page, as the browser receives it."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def shown_step(at, lang: str) -> dict[str, object]:
    """What each part of the step-through says about the step it shows: the panels' titles, the chart's marks."""
    figures = charts(at)
    titles = [spec["layout"].get("title", {}).get("text", "") for spec in figures]
    titles += [m.value.strip("*") for m in at.markdown]  # the page may print a chart's title above it
    energy = next(spec for spec in figures if len(spec["data"]) == 2 and spec["data"][1]["type"] == "bar")
    marks = {shape["x0"] for shape in energy["layout"]["shapes"]}
    return {"titles": titles, "marks": marks}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_shows_the_measured_tables_and_the_constructed_crf(lang):
    at = open_page(NS, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text(f"{NS}.title", lang)
    costs, fields = at.dataframe[0].value, at.table[0].value  # the fields: a wrapping table, projector-sized
    assert len(costs) == len(fields) == 4
    assert list(costs[text(f"{NS}.col.miou", lang)]) == [fact(f"deeplabv1.table2.{k}.miou").formatted() for k in KEYS]
    assert list(costs[text(f"{NS}.col.speed", lang)]) == [fact(f"deeplabv1.table2.{k}.speed").formatted() for k in KEYS]
    fov = [str(v) for v in fields[text(f"{NS}.col.fov", lang)]]
    assert fov == list(fields[text(f"{NS}.col.paper_rf", lang)]) == [fact(f"deeplabv1.table2.{k}.rf").formatted()
                                                                     for k in KEYS]  # fmt: skip
    assert len(fields.columns) <= 5  # the two conventions stay on screen, no sideways scrolling
    vgg = list(fields[text(f"{NS}.col.vgg_rf", lang)])
    assert vgg[:2] == [
        str(fact("deeplabv1.s3_2.vgg_convolutional").value),
        str(fact("deeplabv1.s3_2.fc6_4x4_convolutional").value),
    ]
    iou = next(m for m in at.metric if m.label == text(f"{NS}.iou_metric", lang, step=1))  # the constructed example
    assert iou.delta.startswith("+") and iou.delta != "+0.000"
    assert text(f"{NS}.fig.after_step", lang, step=1) in shown_step(at, lang)["titles"]


def test_one_step_control_moves_the_pictures_the_numbers_and_the_chart():
    at = open_page(NS, "en")
    for spec in charts(at):
        assert not spec.get("frames") and not spec["layout"].get("sliders")  # no second, figure-owned control
    for step in range(6):
        at.slider(key="dl_step").set_value(step).run()
        changed = int(metric(at, text(f"{NS}.changed_metric", "en", step=step)).replace(",", ""))
        assert (changed == 0) if step == 0 else (changed > 0), step  # every step of the default example moves
        shown = shown_step(at, "en")
        assert text(f"{NS}.fig.after_step", "en", step=step) in shown["titles"]
        assert shown["marks"] == {step}
        assert metric(at, text(f"{NS}.energy_metric", "en", step=step))
    at.slider(key="dl_w1").set_value(0)
    at.slider(key="dl_w2").set_value(0)
    at.slider(key="dl_step").set_value(1).run()  # no pairwise term: nothing moves
    assert metric(at, text(f"{NS}.changed_metric", "en", step=1)) == "0" and not at.exception


def test_table_size_and_stage_sizes():
    at = open_page(NS, "en")
    at.radio(key="dl_size").set_value(321).run()
    assert "41 × 41" in at.caption[0].value and "65 × 65" not in at.caption[0].value
    stages = at.dataframe[1].value
    assert list(stages[text(f"{NS}.col.formula", "en")])[-1] == 41


def test_forward_pass_is_timed_on_demand():
    at = open_page(NS, "en")
    at.radio(key="dl_time_size").set_value(161)
    at.button(key="dl_time").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == text(f"{NS}.forward_time", "en", name="DeepLab-CRF-LargeFOV", size=161) for m in at.metric)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_photo_with_untrained_weights_says_the_unary_is_meaningless(monkeypatch, lang):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "random")
    at = open_page(NS, lang)
    at.radio(key="dl_crf_source").set_value("photo").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(w.value == text(f"{NS}.untrained_unary", lang) for w in at.warning)
    assert any(m.label == text(f"{NS}.crf_time", lang, device="cpu") for m in at.metric)
    assert text(f"{NS}.fig.after_step", lang, step=1) in shown_step(at, lang)["titles"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_lesson_asks_its_questions(lang):
    at = open_page(NS, lang)
    assert any(e.label == text("quiz.heading", lang) for e in at.expander)
    assert at.number_input(key="q_deeplab_v1_v2_fov").value is None
