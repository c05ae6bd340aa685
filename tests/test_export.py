"""Animations for slides: the exported frames are the page's frames (same count, same cells, same titles) and state
the settings they show (k, d, s, p, input size), the GIF decodes to them, and Chinese falls back to English, clearly,
without a CJK font."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from deeplab_core.figures import export
from deeplab_core.figures.export import formula_frames, gif_bytes, growth_frames, png_bytes, render
from deeplab_core.figures.formula import CELL_COLOURS, MAX_FRAMES, sliding_animation
from deeplab_core.figures.receptive_field import growth_animation
from deeplab_core.figures.style import GRID_BACKGROUND, HOLE_COLOUR
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.maths.dilation import ConvGeometry
from deeplab_core.maths.receptive_field import receptive_field, same_conv
from tests.apptest_support import open_page

GEOMETRIES = (
    ConvGeometry(7, 3, 1, 0, 2),
    ConvGeometry(9, 3, 2, 2, 2),
    ConvGeometry(5, 5, 1, 4, 1),
    ConvGeometry(32, 3, 1, 4, 1),  # 34 × 34 outputs: the page stops at MAX_FRAMES
)
STACKS = ((same_conv(3),), tuple(same_conv(3, d) for d in (1, 2, 5)), tuple(same_conv(3, d) for d in (2, 2, 2)))


def paint(z: list, colours: list[str]) -> np.ndarray:
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=np.uint8)
    return rgb[np.array(z)]


def gif_frames(data: bytes) -> list[np.ndarray]:
    gif = Image.open(io.BytesIO(data))
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("RGB")))
    return frames


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("geom", GEOMETRIES, ids=str)
def test_formula_frames_are_the_pages_frames(geom, lang):
    page = sliding_animation(geom, lang)
    frames = formula_frames(geom, lang)
    assert len(frames.frames) == len(page["frames"]) == min(geom.output_size**2, MAX_FRAMES)
    titles = [a["text"] for a in page["layout"]["annotations"][:2]]
    steps = page["layout"]["sliders"][0]["steps"]
    prefix = page["layout"]["sliders"][0]["currentvalue"]["prefix"]
    for frame, shown, step in zip(frames.frames, page["frames"], steps, strict=True):
        assert [p.title for p in frame.panels] == titles
        assert frame.caption == prefix + step["label"]
        cells, outputs = (trace["z"] for trace in shown["data"])
        assert np.array_equal(frame.panels[0].colours, paint(cells, CELL_COLOURS))
        assert frame.panels[1].colours.shape[:2] == np.array(outputs).shape
    size, o = geom.input_size + 2 * geom.padding, geom.output_size
    assert frames.frames[0].panels[0].title == text("formula.fig.padded_input", lang, size=size)
    assert frames.frames[-1].panels[1].title == text("formula.fig.output", lang, size=o)
    last = divmod(len(frames.frames) - 1, o)
    assert frames.frames[-1].caption.endswith(f"({last[0]},{last[1]})")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("stack", STACKS, ids=lambda s: ",".join(str(layer.dilation) for layer in s))
def test_growth_frames_are_the_pages_frames(stack, lang):
    page = growth_animation(stack, lang)
    frames = growth_frames(stack, lang)
    assert len(frames.frames) == len(page["frames"]) == len(stack)
    for frame, shown in zip(frames.frames, page["frames"], strict=True):
        assert same_words(frame.caption, shown["layout"]["title"]["text"])  # the page breaks the line
        counts, holes, taps = shown["data"]
        marks = sorted(frame.panels[0].marks)
        assert marks == sorted(zip(taps["y"], taps["x"], strict=True))
        hole = np.array(holes["z"], dtype=float) == 1  # NaN elsewhere
        red = np.all(frame.panels[0].colours == paint([0], [HOLE_COLOUR])[0], axis=2)
        assert np.array_equal(hole, red)
        reached = ~np.isnan(np.array(counts["z"], dtype=float))
        blank = np.all(frame.panels[0].colours == paint([0], [GRID_BACKGROUND])[0], axis=2)
        assert np.array_equal(~reached & ~hole, blank)
    side = 1 + sum(2 * layer.dilation for layer in stack)  # 3×3 convolutions at stride 1: each adds 2d
    assert f"{side}×{side}" in frames.frames[-1].caption


def same_words(caption: str, title: str) -> bool:
    """A frame's caption and the page's title of the same frame: the same text, up to where the line breaks."""
    return caption.replace(" ", "") == title.replace("<br>", "").replace(" ", "")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("geom", GEOMETRIES[:2], ids=str)
def test_formula_frames_state_their_settings(geom, lang):
    frames = formula_frames(geom, lang)
    values = dict(i=geom.input_size, k=geom.kernel_size, d=geom.dilation, s=geom.stride, p=geom.padding)
    values |= {"k'": geom.effective_kernel_size, "o": geom.output_size}
    for name, value in values.items():
        assert f"{name} = {value}" in frames.params, (name, frames.params)
    bare = replace(frames, params="")
    assert render(frames, 0).height > render(bare, 0).height  # drawn in every frame


@pytest.mark.parametrize("lang", LANGUAGES)
def test_growth_frames_state_every_layer(lang):
    stack = STACKS[1]
    frames = growth_frames(stack, lang)
    for layer in stack:
        assert f"({layer.kernel_size}, {layer.dilation}, {layer.stride}, {layer.padding})" in frames.params
    size = receptive_field(stack)[-1].size
    assert f"{size}×{size}" in frames.params
    assert render(frames, 0).height > render(replace(frames, params=""), 0).height


@pytest.mark.parametrize("geom", GEOMETRIES[:2], ids=str)
def test_gif_decodes_to_the_frames(geom):
    frames = formula_frames(geom, "en")
    data = gif_bytes(frames, 250)
    decoded = gif_frames(data)
    assert len(decoded) == len(frames.frames)
    assert Image.open(io.BytesIO(data)).info["duration"] == 250
    for index in (0, len(decoded) - 1):  # flat cell colours survive the palette exactly
        drawn = np.asarray(render(frames, index))
        panel = drawn[export.MARGIN + export.FONT_SIZE + 8 :][: export.PANEL, export.MARGIN :][:, : export.PANEL]
        cell = export.PANEL // (geom.input_size + 2 * geom.padding)
        centres = panel[cell // 2 :: cell, cell // 2 :: cell][: geom.input_size + 2 * geom.padding]
        got = decoded[index][export.MARGIN + export.FONT_SIZE + 8 :][: export.PANEL, export.MARGIN :][:, : export.PANEL]
        assert np.array_equal(got[cell // 2 :: cell, cell // 2 :: cell][: len(centres)], centres)


def test_png_of_one_frame():
    frames = growth_frames(STACKS[1], "zh")
    image = Image.open(io.BytesIO(png_bytes(render(frames, 2))))
    assert image.format == "PNG" and image.width == export.WIDTH


def test_without_a_cjk_font_frames_fall_back_to_english(monkeypatch):
    monkeypatch.setattr(export, "CJK_FONTS", ("/no/such/font.ttc",))
    export._font.cache_clear()
    try:
        frames = growth_frames(STACKS[1], "zh")
        assert frames.lang == "en"
        assert same_words(
            frames.frames[0].caption, growth_animation(STACKS[1], "en")["frames"][0]["layout"]["title"]["text"]
        )
        assert render(frames, 0).width == export.WIDTH
        assert formula_frames(GEOMETRIES[0], "en").lang == "en"
    finally:
        export._font.cache_clear()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_formula_page_steps_through_frames(lang):
    at = open_page("formula", lang)
    assert not at.exception
    total = GEOMETRIES[0].output_size ** 2  # the page's defaults: i = 7, k = 3, d = 2, p = 0, s = 1

    def shown() -> str:
        return at.get("image")[0].proto.imgs[0].caption

    assert shown() == text("export.frame_of", lang, n=1, total=total)
    at.button(key="x_formula_next").click().run()
    assert shown() == text("export.frame_of", lang, n=2, total=total)
    at.button(key="x_formula_back").click().run()
    at.button(key="x_formula_back").click().run()
    assert shown() == text("export.frame_of", lang, n=total, total=total)
    at.slider(key="x_formula_ms").set_value(600).run()
    assert not at.exception


@pytest.mark.parametrize("lang", LANGUAGES)
def test_receptive_field_page_exports_its_stack(lang):
    at = open_page("receptive_field", lang)
    assert not at.exception
    at.button(key="x_rf_next").click().run()
    assert at.get("image")[0].proto.imgs[0].caption == text("export.frame_of", lang, n=2, total=4)
    assert not at.exception


def test_page_says_when_frames_fall_back_to_english(monkeypatch):
    import streamlit as st

    monkeypatch.setattr(export, "CJK_FONTS", ("/no/such/font.ttc",))
    st.cache_data.clear()  # frames cached with Chinese labels by an earlier test
    try:
        at = open_page("formula", "zh")
        assert text("export.no_cjk_font", "zh") in [c.value for c in at.caption]
        assert not at.exception
    finally:
        st.cache_data.clear()
