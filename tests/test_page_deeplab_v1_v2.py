"""The DeepLab v1/v2 lesson in both languages: the measured table, the timing, the CRF's steps."""

import pytest

from deeplab_core.facts import fact
from deeplab_core.i18n import LANGUAGES, text
from tests.apptest_support import open_page

NS = "deeplab_v1_v2"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_shows_the_measured_table_and_the_constructed_crf(lang):
    at = open_page(NS, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text(f"{NS}.title", lang)
    table = at.dataframe[0].value
    assert len(table) == 4
    fov = list(table[text(f"{NS}.col.fov", lang)])
    paper = list(table[text(f"{NS}.col.paper_rf", lang)])
    assert [str(v) for v in fov] == paper == [fact(f"deeplabv1.table2.{k}.rf").formatted() for k in
                                               ("7x7_r4", "4x4_r4", "4x4_r8", "largefov")]  # fmt: skip
    labels = [m.label for m in at.metric]
    assert text(f"{NS}.iou_metric", lang, step=1) in labels  # the constructed example runs by default
    iou = next(m for m in at.metric if m.label == text(f"{NS}.iou_metric", lang, step=1))
    assert iou.delta.startswith("+") and iou.delta != "+0.000"


def test_step_slider_and_kernel_weights_change_what_is_shown():
    at = open_page(NS, "en")
    at.slider(key="dl_step").set_value(0).run()
    changed = next(m for m in at.metric if m.label == text(f"{NS}.changed_metric", "en", step=0))
    assert changed.value == "0"
    at.slider(key="dl_step").set_value(1).run()
    changed = next(m for m in at.metric if m.label == text(f"{NS}.changed_metric", "en", step=1))
    assert int(changed.value.replace(",", "")) > 0
    at.slider(key="dl_w1").set_value(0)
    at.slider(key="dl_w2").set_value(0).run()  # no pairwise term: nothing moves
    changed = next(m for m in at.metric if m.label == text(f"{NS}.changed_metric", "en", step=1))
    assert changed.value == "0" and not at.exception


def test_table_size_and_stage_sizes():
    at = open_page(NS, "en")
    at.radio(key="dl_size").set_value(321).run()
    assert list(at.dataframe[0].value[text(f"{NS}.col.score_map", "en")]) == ["41 × 41"] * 4
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
