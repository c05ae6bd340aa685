"""Lesson 3: receptive fields grow through a stack; dilation makes them grow fast, with holes unless HDC."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from deeplab_core.errors import LabError
from deeplab_core.figures.effective_rf import erf_figure, erf_profile_figure
from deeplab_core.figures.receptive_field import (
    MAX_ANIMATION_SIZE,
    SAMPLES,
    coverage_figure,
    growth_animation,
    growth_chart,
    growth_legend,
)
from deeplab_core.figures.rf_on_photo import data_uri, photo_figure
from deeplab_core.maths.effective_rf import MAX_ERF_SIZE, effective_receptive_field, erf_stats
from deeplab_core.maths.hdc import gridding_report, hdc_verdict
from deeplab_core.maths.receptive_field import (
    ConvLayer,
    check_stack,
    coverage,
    holes,
    output_sizes,
    receptive_field,
    same_conv,
    window_on_input,
)
from deeplab_core.samples import load_sample
from lessons.parts.export import export_growth
from lessons.parts.quiz import quiz
from lessons.parts.ui import chart, header, section, show_error, show_source, t, what_to_notice
from lessons.parts.widgets import choice, int_slider, toggle

LESSON = "receptive_field"
PRESETS = {
    "plain": (),
    "context": (1, 1, 2, 4, 8, 16, 1),
    "gridding": (2, 2, 2),
    "hdc": (1, 2, 5),
    "rates": (2, 4, 8),
    "custom": (),
}
FIELDS = {"kernel_size": 3, "stride": 1, "dilation": 1, "padding": 1}  # editor columns and new-row defaults
MAX_LAYERS, MAX_RF = 12, 2049
MARKS = {True: ":green[:material/check_circle:]", False: ":red[:material/cancel:]"}
Stack = tuple[ConvLayer, ...]


# Figures are cached as resources: handed back as-is, never mutated. Through st.cache_data a Figure would be
# unpickled, and so re-validated by plotly, on every rerun (~0.2 s each).
@st.cache_resource(max_entries=32, show_spinner=False)
def _animation(layers: Stack, lang: str):
    return growth_animation(layers, lang)


@st.cache_resource(max_entries=64, show_spinner=False)
def _growth(layers: Stack, lang: str, log_scale: bool):
    return growth_chart(layers, lang, log_scale)


@st.cache_resource(max_entries=32, show_spinner=False)
def _coverage(layers: Stack, lang: str):
    return coverage_figure(layers, lang)


@st.cache_resource(max_entries=32, show_spinner=False)
def _erf(layers: Stack, lang: str):
    erfs = {w: effective_receptive_field(layers, weights=w) for w in ("uniform", "random")}
    stats = {w: erf_stats(e) for w, e in erfs.items()}
    return erf_figure(erfs, stats, lang), erf_profile_figure(erfs, stats, lang), stats


@st.cache_resource(max_entries=64, show_spinner=False)
def _photo(name: str, layers: Stack, unit: tuple[int, int], lang: str):
    uri, size = _sample(name)
    return photo_figure(uri, size, layers, unit, lang)


@st.cache_data(max_entries=4, show_spinner=False)
def _sample(name: str) -> tuple[str, tuple[int, int]]:
    """The photo as a data URI, and its (W, H)."""
    image = load_sample(name)
    return data_uri(image), image.size


def custom_stack() -> Stack | None:
    st.caption(t("receptive_field.custom_help"))
    start = pd.DataFrame([asdict(same_conv(3, d)) for d in PRESETS["hdc"]], columns=list(FIELDS))
    config = {
        name: st.column_config.NumberColumn(t(f"receptive_field.col.{name}"), step=1, default=default)
        for name, default in FIELDS.items()
    }
    table = st.data_editor(start, key="rf_custom", num_rows="dynamic", column_config=config, hide_index=True)
    rows = table.to_dict("records")
    for index, row in enumerate(rows, start=1):
        if any(pd.isna(row[name]) for name in FIELDS):
            st.error(t("receptive_field.error.missing", layer=index))
            return None
    return tuple(ConvLayer(*(int(row[name]) for name in FIELDS)) for row in rows)


def build_stack() -> Stack | None:
    preset = choice("preset", "receptive_field.preset", list(PRESETS), format_key="receptive_field.presets")
    if preset == "plain":
        return (same_conv(3),) * int_slider("depth", "receptive_field.depth", 1, 10, 4)
    if preset == "custom":
        return custom_stack()
    return tuple(same_conv(3, d) for d in PRESETS[preset])


def check(layers: Stack, shape: tuple[int, int]) -> bool:
    """True when the stack runs on the photo; otherwise a translated error says what to change."""
    try:
        check_stack(layers, shape, max_layers=MAX_LAYERS, max_size=MAX_RF)
    except LabError as exc:
        show_error(exc)
        return False
    return True


def records_table(layers: Stack, shape: tuple[int, int]) -> None:
    outputs = zip(*(output_sizes(layers, side) for side in shape), strict=True)  # (W_l, H_l) per layer
    rows = []
    for i, (r, (w, h)) in enumerate(zip(receptive_field(layers), outputs, strict=True), start=1):
        rows.append(
            {
                t("receptive_field.col.layer"): i,
                "k": r.layer.kernel_size,
                "s": r.layer.stride,
                "d": r.layer.dilation,
                "p": r.layer.padding,
                "k'": r.layer.effective_kernel_size,
                t("receptive_field.col.size"): r.size,
                t("receptive_field.col.jump"): r.jump,
                t("receptive_field.col.start"): f"{r.start:g}",
                t("receptive_field.col.output"): f"{h}×{w}",
            }
        )
    st.table(rows, hide_index=True)  # wraps its headers: every column in sight, on a phone too


def gridding(layers: Stack) -> None:
    section(LESSON, "gridding")
    chart(_coverage(layers, st.session_state.lang), key="rf_coverage")
    report = gridding_report(layers)
    if report.hole_offsets:
        offsets = ", ".join(f"{o:g}" for o in report.hole_offsets)
        count, blind = len(report.hole_offsets), f"{report.blind_share:.0%}"
        st.warning(t("receptive_field.verdict.holes", count=count, size=report.span, blind=blind, offsets=offsets))
    else:
        st.success(t("receptive_field.verdict.no_holes", size=report.span))
    hdc, kernel = report.verdict, report.verdict.kernel_size
    rates = ", ".join(map(str, hdc.rates))
    st.markdown(t("receptive_field.verdict.gcd", rates=rates, g=hdc.common_factor, mark=MARKS[hdc.no_common_factor]))
    if hdc.max_distance_ok is None:
        st.markdown(t("receptive_field.verdict.mdist_na"))
    else:
        ms = ", ".join(f"M{i}={m}" for i, m in enumerate(hdc.max_distances, start=1))
        mark = MARKS[hdc.max_distance_ok]
        st.markdown(t("receptive_field.verdict.mdist", ms=ms, m2=hdc.max_distances[1], k=kernel, mark=mark))
    if not report.assumptions_hold:
        st.caption(t("receptive_field.verdict.assumptions"))
    if report.rules_disagree:
        key = "disagree_gcd" if hdc.max_distance_ok else "disagree_mdist"
        st.info(t(f"receptive_field.verdict.{key}", g=hdc.common_factor, m2=hdc.max_distances[1], k=kernel))
    if report.rules_miss_holes:
        st.info(t("receptive_field.verdict.rules_miss", r1=hdc.rates[0]))
    elif report.rules_too_strict:
        st.info(t("receptive_field.verdict.rules_strict"))


def effective(layers: Stack) -> None:
    section(LESSON, "erf")
    size = receptive_field(layers)[-1].size
    if size > MAX_ERF_SIZE:
        st.caption(t("receptive_field.erf_too_large", size=size, most=MAX_ERF_SIZE))
        return
    maps, profile, stats = _erf(layers, st.session_state.lang)
    chart(maps, key="rf_erf")
    chart(profile, key="rf_erf_profile")
    st.table(
        [
            {
                t("receptive_field.erf_col.weights"): t(f"receptive_field.fig.series_{name}"),
                t("receptive_field.erf_col.sigma"): f"{s.sigma:.2f}",
                t("receptive_field.erf_col.side_95"): f"{s.side_95} × {s.side_95}",
                t("receptive_field.erf_col.fraction"): f"{s.fraction_95:.0%}",
            }
            for name, s in stats.items()
        ],
        hide_index=True,
    )


def on_photo(layers: Stack, name: str, shape: tuple[int, int]) -> None:
    section(LESSON, "photo")
    out_w, out_h = (output_sizes(layers, side)[-1] for side in shape)
    cols = st.columns(2)
    row = int_slider("row", "receptive_field.unit_row", 0, out_h - 1, out_h // 2, container=cols[0]) if out_h > 1 else 0
    col = int_slider("col", "receptive_field.unit_col", 0, out_w - 1, out_w // 2, container=cols[1]) if out_w > 1 else 0
    record = receptive_field(layers)[-1]
    (top, bottom), (left, right) = record.window(row), record.window(col)
    on_input = window_on_input(record, row, shape[1]) * window_on_input(record, col, shape[0])
    st.markdown(
        t(
            "receptive_field.photo_numbers",
            row=row,
            col=col,
            y=f"{record.centre(row):g}",
            x=f"{record.centre(col):g}",
            top=f"{top:g}",
            bottom=f"{bottom:g}",
            left=f"{left:g}",
            right=f"{right:g}",
            inside=f"{on_input:.0%}",
        )
    )
    chart(_photo(name, layers, (row, col), st.session_state.lang), key="rf_photo")


header(LESSON)
stack = build_stack()
photo = choice("photo", "receptive_field.photo", list(SAMPLES), format_key="receptive_field.samples")
photo_shape = _sample(photo)[1]  # (W, H)
if stack is not None and check(stack, photo_shape):
    final = receptive_field(stack)[-1]
    cols = st.columns(3)
    cols[0].metric(t("receptive_field.metric_size"), f"{final.size} × {final.size}")
    cols[1].metric(t("receptive_field.metric_jump"), final.jump)
    cols[2].metric(t("receptive_field.metric_holes"), len(holes(stack)))
    records_table(stack, photo_shape)
    st.subheader(t("receptive_field.animation_heading"))
    if final.size > MAX_ANIMATION_SIZE:
        st.caption(t("receptive_field.animation_too_large", size=final.size, most=MAX_ANIMATION_SIZE))
    else:
        chart(_animation(stack, st.session_state.lang), key="rf_animation")
        st.markdown(growth_legend(st.session_state.lang), unsafe_allow_html=True)  # the exported GIF's own legend
        export_growth(stack)
    st.subheader(t("receptive_field.growth_heading"))
    log_scale = toggle("rf_log", "receptive_field.log_scale", default=True)  # "log" is the overview's switch
    chart(_growth(stack, st.session_state.lang, log_scale), key="rf_growth")
    gridding(stack)
    effective(stack)
    on_photo(stack, photo, photo_shape)
quiz(LESSON)
what_to_notice(LESSON)
show_source(receptive_field, coverage, hdc_verdict, effective_receptive_field)
