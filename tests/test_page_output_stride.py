"""The output-stride lesson with untrained weights saved to a temporary folder and loaded through the real path."""

import pytest

from deeplab_core.i18n import LANGUAGES, text
from tests.apptest_support import open_page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_runs_and_shows_measured_stage_sizes(random_weights, lang):
    at = open_page("output_stride", lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text("output_stride.title", lang)
    stages = at.table[0].value  # a table: its text is projector-sized, unlike a data grid's canvas
    layer4 = stages.iloc[-1]
    assert layer4.iloc[0] == "layer4"
    assert [layer4[text("output_stride.col.formula_at", lang, os=s)] for s in (32, 16, 8)] == ["17", "33", "65"]
    assert layer4[text("output_stride.col.size_at", lang, os=16)] == "33×33 (/16)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unit_rates_change_the_dilation_table_and_receptive_field(random_weights, lang):
    at = open_page("output_stride", lang)
    rf_before = [m.value for m in at.metric]
    table = at.dataframe[-1].value
    assert list(table[text("output_stride.col.rate", lang)].tail(3)) == [2, 4, 8]  # OS 16, Multi_Grid (1, 2, 4)
    at.selectbox(key="r3").set_value(1).run()
    at.selectbox(key="r2").set_value(1).run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table[text("output_stride.col.rate", lang)].tail(3)) == [1, 2, 2]  # torchvision's convention
    assert [m.value for m in at.metric] != rf_before


@pytest.mark.parametrize("lang", LANGUAGES)
def test_photo_at_two_output_strides_gives_label_maps(random_weights, lang):
    at = open_page("output_stride", lang)
    at.multiselect(key="strides").set_value([32, 16]).run()
    at.button(key="os_photo_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert text("output_stride.differ", lang, a=32, b=16) in labels
    assert len(at.get("plotly_chart")) >= 4  # stage sizes, label maps, costs, receptive field


@pytest.mark.parametrize("lang", LANGUAGES)
def test_missing_pretrained_weights_are_explained_and_untrained_offered(offline_without_weights, lang):
    at = open_page("output_stride", lang)
    assert not at.exception
    assert "python -m deeplab_core.weights download resnet50" in at.warning[0].value
    assert "os_photo_run" not in [b.key for b in at.button]  # no photo run without a model
    # the photo section says what is missing and what to do, instead of ending after its prose
    assert text("output_stride.photo_needs_weights", lang) in [i.value for i in at.info]
    at.toggle(key="untrained").set_value(True).run()
    assert not at.exception
    assert any(i.value == text("output_stride.weights.untrained_note", lang) for i in at.info)
    assert text("output_stride.photo_needs_weights", lang) not in [i.value for i in at.info]
