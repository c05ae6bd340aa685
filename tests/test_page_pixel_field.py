"""The pixel-field lesson in AppTest, with untrained weights saved to a temporary folder and loaded through the real
path: a pixel chosen with the sliders or a link, the switches (output stride, multi-grid, image pooling), a refused
photo and a refused job, in both languages."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from deeplab_core.config import CPU_JOB_GMACS, DEEPLAB_OUTPUT_STRIDES
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets.field_box import logit_field, wiring
from tests.apptest_support import chart_titles, open_page

SLUG = "pixel_field"


def layouts(at) -> list[dict]:
    return [json.loads(chart.proto.spec)["layout"] for chart in at.get("plotly_chart")]


def titles(at) -> list[str]:
    return chart_titles(at)


def field_title(at, lang: str) -> str:
    start = text("pixel_field.fig.field_title", lang, row="§", col="§", name="§").split("§")[0]
    return next(title for title in titles(at) if title.startswith(start))


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_shows_the_photo_to_click_the_field_and_the_branch_shares(random_weights, lang):
    at = open_page(SLUG, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text("pixel_field.title", lang)
    shown = titles(at)
    assert shown[0] == text("pixel_field.fig.pick_title", lang)
    assert len(shown) == 3 and shown[2] == text("pixel_field.fig.shares_title", lang)
    assert [m.label for m in at.metric] == [
        text(f"pixel_field.{key}", lang) for key in ("inside", "theoretical", "half_side")
    ]
    side = logit_field(wiring("mobilenet_v3_large")).size
    assert at.metric[1].value == text("pixel_field.px", lang, n=f"{side:,}")
    assert not at.warning  # weights from a file count as real checkpoints: no "untrained" warning
    row, col = at.slider(key="pf_row").value, at.slider(key="pf_col").value
    assert f"({row}, {col})" in field_title(at, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sliders_and_a_link_choose_the_pixel(random_weights, lang):
    at = open_page(SLUG, lang)
    at.slider(key="pf_row").set_value(7).run()
    at.slider(key="pf_col").set_value(300).run()
    assert not at.exception
    assert "(7, 300)" in field_title(at, lang)
    assert titles(at)[0] == text("pixel_field.fig.pick_title", lang)
    assert "pf_row=7" in at.sidebar.code[0].value and "pf_col=300" in at.sidebar.code[0].value
    linked = open_page(SLUG, lang, params={"pf_row": "40", "pf_col": "11"})  # a link restores the pixel
    assert "(40, 11)" in field_title(linked, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_image_pooling_off_mutes_its_branch(random_weights, lang):
    at = open_page(SLUG, lang)
    at.toggle(key="pf_pool").set_value(False).run()
    assert not at.exception
    bars = json.loads(at.get("plotly_chart")[2].proto.spec)["data"]
    pooling = text("aspp.branch.pooling", lang) + text("pixel_field.fig.off", lang)
    inside, outside = (dict(zip(bar["y"], bar["x"], strict=True)) for bar in bars)
    assert inside[pooling] == 0 and outside[pooling] == 0


def test_resnet_switches_redraw_the_theoretical_field_without_running_anything(random_weights):
    at = open_page(SLUG, "en")
    at.radio(key="pf_src").set_value("upload").run()  # no photo yet: the theory section alone
    at.selectbox(key="pf_net").set_value("resnet50").run()
    sides = {}
    for stride in DEEPLAB_OUTPUT_STRIDES:
        at.radio(key="pf_os").set_value(stride).run()
        assert not at.exception
        sides[stride] = logit_field(wiring("resnet50", stride)).size
        assert f"**{sides[stride]:,} input pixels**" in " ".join(m.value for m in at.markdown)
    assert sides[16] == sides[8] + 2 * (16 - 8)  # only the head's 3×3 convolution steps one grid cell further
    at.toggle(key="pf_mg").set_value(True).run()
    assert not at.exception and not at.get("plotly_chart")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_elongated_photo_is_refused_in_the_readers_language(random_weights, lang):
    at = open_page(SLUG, lang)
    at.radio(key="pf_src").set_value("upload").run()
    at.file_uploader(key="pf_photo_upload").set_value(("strip.png", png(400, 20), "image/png")).run()
    assert not at.exception
    message = text("errors.budget.aspect", lang, width=400, height=20, ratio="20", limit=16)
    assert [e.value for e in at.error] == [message]
    assert not at.get("plotly_chart")


def test_a_job_over_the_cpu_bound_is_refused_before_it_runs(monkeypatch):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "random")
    at = open_page(SLUG, "en")
    at.selectbox(key="pf_net").set_value("resnet101").run()
    at.radio(key="pf_os").set_value(8).run()
    at.radio(key="pf_res").set_value(720).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and f"({CPU_JOB_GMACS} billion)" in errors[0]
    assert [title for title in titles(at)] == []
