"""Projector mode: chart text at least 16 px in a strong ink, thicker lines, long prose folded, and derivations
that wrap instead of being cut at 1024×768 with the sidebar open."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from deeplab_core.figures.formula import kernel_figure, sliding_animation
from deeplab_core.figures.output_stride import rf_growth_figure
from deeplab_core.figures.overview import design_figure, resolution_figure
from deeplab_core.figures.receptive_field import growth_animation, growth_chart
from deeplab_core.figures.style import INK, INK_ON_DARK, INK_STRONG, MAP_FILL, NOTE, PROJECTOR_TEXT, box, for_projector
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.maths.dilation import ConvGeometry
from deeplab_core.maths.receptive_field import same_conv
from tests.apptest_support import open_page

GEOMETRY = ConvGeometry(input_size=7, kernel_size=3, stride=1, padding=0, dilation=2)
STACK = (same_conv(3, 1), same_conv(3, 2), same_conv(3, 5))


def figures(lang: str) -> dict[str, go.Figure | dict]:
    """Lesson figures of every kind: bars, lines, heatmaps, a diagram with boxes, and two animations."""
    return {
        "resolution": resolution_figure(513, lang, log_y=True),
        "design": design_figure("spp", lang),
        "kernel": kernel_figure(GEOMETRY, lang),
        "slide": sliding_animation(GEOMETRY, lang),
        "growth": growth_chart(STACK, lang),
        "grow_animation": growth_animation(STACK, lang),
        "rf": rf_growth_figure(
            {"a": [("layer1.0", 3), ("layer2.0", 7)], "b": [("layer1.0", 3), ("layer2.0", 5)]}, 513, lang
        ),
    }


def font_sizes(spec: object, path: str = "") -> list[tuple[str, float]]:
    """Every explicit font size in a figure's JSON, with where it is."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("font", "tickfont", "textfont", "title_font") and isinstance(value, dict) and "size" in value:
                found.append((f"{path}.{key}", value["size"]))
            if key != "frames":
                found += font_sizes(value, f"{path}.{key}")
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            found += font_sizes(value, f"{path}[{i}]")
    return found


def as_dict(fig: go.Figure | dict) -> dict:
    return fig if isinstance(fig, dict) else json.loads(fig.to_json())


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(figures("en")))
def test_every_text_is_at_least_projector_size(name, lang):
    styled = as_dict(for_projector(figures(lang)[name]))
    small = [(where, size) for where, size in font_sizes(styled) if size < PROJECTOR_TEXT]
    assert not small, small
    assert styled["layout"]["font"] == {"size": PROJECTOR_TEXT, "color": INK_STRONG}


def test_text_is_dark_on_a_light_theme_and_light_on_a_dark_one():
    fig = resolution_figure(513, "en")
    fig.add_annotation(x=0, y=0, text="note", font=dict(size=10, color=NOTE))
    light, dark = for_projector(fig), for_projector(fig, dark=True)
    assert light.layout.xaxis.tickfont.color == INK_STRONG and dark.layout.xaxis.tickfont.color == INK_ON_DARK
    assert light.layout.annotations[-1].font.color == INK_STRONG  # the grey note becomes ink
    assert dark.layout.annotations[-1].font.color == INK_ON_DARK


def test_labels_in_diagram_boxes_keep_their_dark_ink_in_both_themes():
    fig = go.Figure()
    box(fig, 0, 0, 1, 1, "ASPP", fill=MAP_FILL, font_colour=INK)
    for dark in (False, True):
        note = for_projector(fig, dark=dark).layout.annotations[0]
        assert (note.font.color, note.font.size) == (INK, PROJECTOR_TEXT)


def test_lines_are_thicker_and_markers_larger():
    fig = growth_chart(STACK, "en")
    styled = for_projector(fig)
    for before, after in zip(fig.data, styled.data, strict=True):
        assert after.line.width == max(before.line.width * 2, 3)
        assert after.marker.size == pytest.approx(before.marker.size * 1.5)
    assert fig.data[0].line.width == 2  # the original is left alone


def test_an_animation_keeps_every_frame():
    fig = sliding_animation(GEOMETRY, "en")
    styled = for_projector(fig)
    assert styled["frames"] == fig["frames"] and len(styled["frames"]) == GEOMETRY.output_size**2
    assert styled["layout"]["sliders"][0]["currentvalue"]["xanchor"] == "right"  # clear of the larger buttons


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_sidebar_switch_styles_charts_and_folds_long_prose(lang):
    at = open_page("overview", lang)
    switch = at.sidebar.toggle(key="projector")
    assert switch.label == text("common.projector", lang)
    before = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert before["layout"].get("font", {}).get("size") != PROJECTOR_TEXT
    assert not at.expander or all(not e.label.startswith(text("common.read_more", lang, title="")) for e in at.expander)
    switch.set_value(True).run()
    assert not at.exception
    after = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert after["layout"]["font"]["size"] == PROJECTOR_TEXT
    folded = [e for e in at.expander if e.label.startswith(text("common.read_more", lang, title=""))]
    assert folded, "the long prose sections are folded"


def test_a_link_turns_projector_mode_on():
    from tests.test_links import open_with

    at = open_with("formula", "en", {"projector": "true"})
    assert at.sidebar.toggle(key="projector").value is True
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["font"]["size"] == PROJECTOR_TEXT
    assert "projector=true" in at.sidebar.code[0].value


SCREENS = ((1024, 768), (1280, 720))


@pytest.mark.parametrize("projector", [False, True], ids=["normal", "projector"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_derivation_is_clipped(page, app_url, lang, projector):
    """On both laptop screens: the page is loaded once and the window resized, as the layout is the browser's
    (CSS), not the script's."""
    from tests.browser_support import wait_for_app

    page.set_viewport_size({"width": SCREENS[0][0], "height": SCREENS[0][1]})
    page.goto(f"{app_url}/formula?lang={lang}&i=32&k=7&d=8&s=4&p=16" + ("&projector=true" if projector else ""))
    wait_for_app(page)
    page.locator(".katex-display").first.wait_for(timeout=30_000)
    for width, height in SCREENS:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert page.locator("[data-testid=stSidebar]").is_visible()  # the sidebar is open, as in the report
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.katex-display')].map(e => {
                const r = e.querySelector('.katex').getBoundingClientRect();
                const main = document.querySelector('[data-testid=stMain]').getBoundingClientRect();
                return {right: r.right, main: main.right, scroll: e.scrollWidth, client: e.clientWidth,
                        text: e.innerText.replace(/\\s+/g, ' ').slice(-12)};
            })"""
        )
        assert len(boxes) == 3, (width, boxes)
        for b in boxes:
            assert b["scroll"] <= b["client"] + 4, (width, b)  # nothing hidden inside the box (KaTeX overhangs 2 px)
            assert b["right"] <= min(b["main"], width) + 1, (width, b)  # and the box within the page
