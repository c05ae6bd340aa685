"""Animations for slides: step through the frames of a lesson's animation, set the speed, and download the
whole animation as a GIF or the frame shown as a PNG (deeplab_core.figures.export draws them on the server)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from deeplab_core.figures import formula as formula_figures
from deeplab_core.figures import receptive_field as rf_figures
from deeplab_core.figures.export import Frames, formula_frames, gif_bytes, growth_frames, png_bytes, render
from deeplab_core.maths.dilation import ConvGeometry
from deeplab_core.maths.receptive_field import ConvLayer
from lessons.parts.ui import language, t


@st.cache_data(max_entries=16, show_spinner=False)
def _formula(geom: ConvGeometry, lang: str) -> Frames:
    return formula_frames(geom, lang)


@st.cache_data(max_entries=16, show_spinner=False)
def _growth(layers: tuple[ConvLayer, ...], lang: str) -> Frames:
    return growth_frames(layers, lang)


@st.cache_data(max_entries=8, show_spinner=False)
def _gif(_frames: Frames, key: tuple, duration_ms: int) -> bytes:
    return gif_bytes(_frames, duration_ms)  # `key` names the frames: hashing every frame's pixels costs more


def _step(state: str, by: int, total: int) -> None:
    st.session_state[state] = (st.session_state.get(state, 0) + by) % total


@st.fragment
def _panel(prefix: str, name: str, frames: Frames, key: tuple, duration: int) -> None:
    if frames.lang != language():
        st.caption(t("export.no_cjk_font"))
    total, state = len(frames.frames), f"{prefix}_frame"
    index = min(st.session_state.get(state, 0), total - 1)
    cols = st.columns([3, 1, 1], vertical_alignment="bottom")
    ms = cols[0].slider(t("export.duration"), 100, 2000, duration, step=50, key=f"{prefix}_ms")
    cols[1].button(
        t("export.back"), key=f"{prefix}_back", icon=":material/skip_previous:", on_click=_step, args=(state, -1, total)
    )
    cols[2].button(
        t("export.forward"), key=f"{prefix}_next", icon=":material/skip_next:", on_click=_step, args=(state, 1, total)
    )
    png = png_bytes(render(frames, index))
    st.image(png, caption=t("export.frame_of", n=index + 1, total=total))
    downloads = st.columns(2)
    downloads[0].download_button(
        t("export.download_gif"),
        lambda: _gif(frames, key, ms),
        f"{name}.gif",
        "image/gif",
        key=f"{prefix}_gif",
        on_click="ignore",
        icon=":material/animated_images:",
    )
    downloads[1].download_button(
        t("export.download_png"),
        png,
        f"{name}-{index + 1}.png",
        "image/png",
        key=f"{prefix}_png",
        on_click="ignore",
        icon=":material/image:",
    )


def _export(prefix: str, name: str, build: Callable[[], Frames], key: tuple, duration: int) -> None:
    with st.expander(t("export.heading"), icon=":material/slideshow:"):
        st.caption(t("export.intro"))
        _panel(prefix, name, build(), key, duration)


def export_formula(geom: ConvGeometry) -> None:
    """The sliding kernel of the formula lesson (at the page's pace)."""
    lang = language()
    _export("x_formula", "dilated-kernel", lambda: _formula(geom, lang), (geom, lang), formula_figures.FRAME_MS)


def export_growth(layers: tuple[ConvLayer, ...]) -> None:
    """The receptive-field growth of the receptive-field lesson (at the page's pace)."""
    lang = language()
    _export("x_rf", "receptive-field", lambda: _growth(tuple(layers), lang), (tuple(layers), lang), rf_figures.FRAME_MS)
