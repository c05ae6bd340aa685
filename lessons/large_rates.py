"""Lesson 6: large rates degenerate. DeepLabv3's Figure 4 recomputed, per-position counts, and PyTorch's verdict."""

import streamlit as st

from deeplab_core import prose_values
from deeplab_core.config import ASPP_RATES, CROP_SIZE, LARGE_RATES_OUTPUT_STRIDES, feature_size
from deeplab_core.figures.large_rates import PAPER_COUNTS, counts_heatmap, curves_figure, footprint_figure
from deeplab_core.maths.valid_weights import (
    POSITIONS,
    TorchCheck,
    WeightCurves,
    axis_tap_validity,
    check_with_torch,
    position_of,
    tap_validity_at,
    valid_tap_counts,
    valid_weight_curves,
    valid_weight_fractions,
)
from lessons import COURSE
from lessons.parts.quiz import quiz
from lessons.parts.ui import chart, header, section, show_source, t, what_to_notice
from lessons.parts.widgets import choice, int_slider, toggle

LESSON = "large_rates"
INPUT_SIZE = CROP_SIZE
RATE_MAX = 160


@st.cache_data(max_entries=16, show_spinner=False)
def _curves(size: int, last_rate: int) -> WeightCurves:
    return valid_weight_curves(size, range(1, last_rate + 1))


@st.cache_data(max_entries=64, show_spinner=False)
def _torch_check(size: int, rate: int) -> TorchCheck:
    return check_with_torch(size, rate)


def controls() -> tuple[int, int, int]:
    """Returns (output stride, feature-map size, rate)."""
    cols = st.columns([2, 3])
    os_ = choice(
        "os",
        "large_rates.map_size",
        LARGE_RATES_OUTPUT_STRIDES,
        label=lambda s: t("large_rates.size_option", n=feature_size(INPUT_SIZE, s), os=s),
        default=1,
        help_key="large_rates.map_size_help",
        help_values={"input": INPUT_SIZE},
        container=cols[0],
    )
    rate = int_slider("rate", "large_rates.rate", 1, RATE_MAX, 24, help_key="large_rates.rate_help", container=cols[1])
    return os_, feature_size(INPUT_SIZE, os_), rate


def paper_figure(output_stride: int, size: int, rate: int) -> WeightCurves:
    section(LESSON, "figure")
    aspp = ASPP_RATES.get(output_stride, ())
    curves = _curves(size, max(size + size // 4, rate))
    show_all = toggle("all", "large_rates.show_all", help_key="large_rates.show_all_help")
    chart(curves_figure(curves, rate, aspp, show_all, st.session_state.lang), key="large_rates_curves")
    at = curves.at(rate)
    others = [c for c in at if c not in PAPER_COUNTS]
    cols = st.columns(4)
    for col, count in zip(cols[:3], sorted(PAPER_COUNTS, reverse=True), strict=True):
        col.metric(t("large_rates.metric_valid", n=count), f"{at.get(count, 0.0):.1%}")
    other_label = (
        t("large_rates.metric_other", counts=t("large_rates.list_sep").join(map(str, others)))
        if others
        else t("large_rates.metric_other_none")
    )
    cols[3].metric(other_label, f"{curves.share(rate, others):.1%}", help=t("large_rates.metric_other_help"))
    st.caption(t("large_rates.paper_note", paper=f"{curves.share(rate, PAPER_COUNTS):.1%}"))
    if aspp:
        st.caption(t("large_rates.aspp_marked", rates=t("large_rates.list_sep").join(map(str, aspp)), os=output_stride))
    else:
        st.caption(t("large_rates.aspp_none"))
    return curves


def per_position(size: int, rate: int) -> None:
    st.subheader(t("large_rates.per_position"))
    where = choice("where", "large_rates.position", POSITIONS, format_key="large_rates.position_name", default=1)
    row, col = position_of(where, size)
    validity = tap_validity_at(size, rate, row, col)
    left, right = st.columns(2)
    lang = st.session_state.lang
    chart(counts_heatmap(valid_tap_counts(size, rate), row, col, lang), key="large_rates_heatmap", container=left)
    chart(footprint_figure(size, rate, row, col, validity, lang), key="large_rates_footprint", container=right)
    st.caption(
        t(
            "large_rates.footprint_caption",
            row=row,
            col=col,
            valid=int(validity.sum()),
            total=validity.size,
            padding=int(validity.size - validity.sum()),
        )
    )


def torch_verdict(size: int, rate: int) -> None:
    st.subheader(t("common.check_torch"))
    check = _torch_check(size, rate)
    if check.agrees:
        st.success(t("large_rates.torch_agrees", positions=check.positions, taps=check.taps))
    else:
        st.error(t("large_rates.torch_disagrees", counts=check.count_mismatches, taps=check.tap_mismatches))
    st.caption(t("large_rates.torch_how", n=size, rate=rate))


def consequence(size: int, curves: WeightCurves) -> None:
    section(LESSON, "consequence", **prose_values.large_rates_consequence())
    degenerate = curves.first_rate_all(1)
    if degenerate is not None:
        st.metric(t("large_rates.degenerate_rate", n=size), degenerate)
    aspp = next(lesson for lesson in COURSE if lesson.slug == "aspp")
    if aspp.path.exists():
        st.page_link("lessons/aspp.py", label=t("aspp.title"), icon=aspp.icon)


header(LESSON)
output_stride, map_size, atrous_rate = controls()
weight_curves = paper_figure(output_stride, map_size, atrous_rate)
per_position(map_size, atrous_rate)
torch_verdict(map_size, atrous_rate)
consequence(map_size, weight_curves)
quiz(LESSON)
what_to_notice(LESSON, **prose_values.large_rates_notice())
show_source(axis_tap_validity, valid_tap_counts, valid_weight_fractions, valid_weight_curves)
