"""Lesson 2: the dilation formula, with the reader's numbers, the kernel on the grid, and PyTorch's verdict."""

import streamlit as st

from deeplab_core.config import ASPP_RATES, CROP_SIZE, DEEPLAB_OUTPUT_STRIDES, TRAIN_OUTPUT_STRIDE, feature_size
from deeplab_core.figures.formula import MAX_FRAMES, kernel_figure, sliding_animation
from deeplab_core.maths.conv_check import same_padding_rows, torch_conv_output
from deeplab_core.maths.dilation import (
    ConvArithmeticError,
    ConvGeometry,
    conv_output_size,
    effective_kernel_size,
    same_padding,
)
from lessons.parts.export import export_formula
from lessons.parts.quiz import quiz
from lessons.parts.ui import chart, header, section, show_error, show_source, t, what_to_notice
from lessons.parts.widgets import int_slider, toggle

LESSON = "formula"


@st.cache_data(max_entries=64, show_spinner=False)
def _animation(geom: ConvGeometry, lang: str):
    return sliding_animation(geom, lang)


def controls() -> ConvGeometry:
    cols = st.columns(3)
    i = int_slider("i", "formula.input_size", 1, 32, 7, container=cols[0])  # keys are the link: ?i=9&k=3&d=2
    k = int_slider("k", "formula.kernel_size", 1, 7, 3, container=cols[1])
    d = int_slider("d", "formula.dilation", 1, 8, 2, container=cols[2])
    cols = st.columns(3)
    s = int_slider("s", "formula.stride", 1, 4, 1, container=cols[0])
    same = toggle("same", "formula.same_padding", help_key="formula.same_padding_help", container=cols[2])
    p_same = same_padding(k, d)
    if same and p_same is not None:
        cols[1].metric(t("formula.padding"), p_same)
        p = p_same
    else:
        p = int_slider("p", "formula.padding", 0, 16, 0, container=cols[1])
        if same:
            cols[2].warning(t("formula.no_same_padding", k_eff=effective_kernel_size(k, d)))
    return ConvGeometry(input_size=i, kernel_size=k, stride=s, padding=p, dilation=d)


def derivation(g: ConvGeometry) -> int | None:
    """The formula with the reader's numbers; returns o, or None after explaining what is wrong."""
    k, d, i, p, s = g.kernel_size, g.dilation, g.input_size, g.padding, g.stride
    k_eff = effective_kernel_size(k, d)
    # One step per line (aligned): a narrow column (sidebar open, 1024 px, projector text) never cuts the answer.
    st.latex(_steps("k'", "k + (k-1)(d-1)", f"{k} + ({k}-1)({d}-1)", str(k_eff)))
    o_general = r"\left\lfloor \frac{i + 2p - k'}{s} \right\rfloor + 1"
    o_numbers = rf"\left\lfloor \frac{{{i} + 2\cdot{p} - {k_eff}}}{{{s}}} \right\rfloor + 1"
    try:
        o = conv_output_size(i, k, stride=s, padding=p, dilation=d)
    except ConvArithmeticError as exc:
        st.latex(_steps("o", o_general, o_numbers))
        show_error(exc)
        return None
    st.latex(_steps("o", o_general, o_numbers, str(o)))
    p_same = same_padding(k, d)
    if p_same is None:
        st.caption(t("formula.same_padding_none", k_eff=k_eff))
    else:
        st.latex(_steps(r"p_{\text{same}}", r"\frac{d(k-1)}{2}", rf"\frac{{{d}({k}-1)}}{{2}}", str(p_same)))
    return o


def _steps(left: str, *right: str) -> str:
    """`left = right[0] = right[1] = …` with one equals sign per line, aligned on the signs."""
    return r"\begin{aligned} " + left + r" &= " + r" \\ &= ".join(right) + r" \end{aligned}"


def torch_check(g: ConvGeometry, o: int | None) -> None:
    st.subheader(t("common.check_torch"))
    result = torch_conv_output(g.input_size, g.kernel_size, stride=g.stride, padding=g.padding, dilation=g.dilation)
    cols = st.columns(2)
    cols[0].metric(t("formula.formula_says"), f"{o} × {o}" if o is not None else t("formula.invalid"))
    torch_says = f"{result.shape[2]} × {result.shape[3]}" if result.shape else t("formula.torch_refuses")
    cols[1].metric(t("formula.torch_says"), torch_says)
    agree = result.agrees_with(o)
    (st.success if agree else st.error)(t("common.agrees") if agree else t("common.disagrees"))
    if result.error:
        st.caption(t("formula.torch_error", error=result.error))


def aspp_example() -> None:
    section(LESSON, "aspp")
    maps = [feature_size(CROP_SIZE, output_stride) for output_stride in DEEPLAB_OUTPUT_STRIDES]
    rows = [
        {
            t("formula.col_map"): f"{row.map_size}×{row.map_size}",
            t("formula.col_rate"): row.rate,
            "k'": row.effective_kernel_size,
            "p": row.padding,
            "o": row.formula_size,
            t("formula.col_torch"): f"{row.torch_size}×{row.torch_size}",
        }
        for row in same_padding_rows(maps, ASPP_RATES[TRAIN_OUTPUT_STRIDE])
    ]
    st.table([{k: str(v) for k, v in row.items()} for row in rows], hide_index=True)  # projector-sized, fits a phone


header(LESSON)
geom = controls()
left, right = st.columns([1, 1])
with left:
    st.subheader(t("formula.derivation"))
    out = derivation(geom)
with right:
    torch_check(geom, out)
if out is not None:
    st.subheader(t("formula.kernel_heading"))
    chart(kernel_figure(geom, st.session_state.lang), key="formula_kernel")
    st.subheader(t("formula.animation_heading"))
    if out * out > MAX_FRAMES:
        st.caption(t("formula.animation_capped", shown=MAX_FRAMES, total=out * out))
    chart(_animation(geom, st.session_state.lang), key="formula_animation")
    export_formula(geom)
aspp_example()
quiz(LESSON)
what_to_notice(LESSON)
show_source(effective_kernel_size, conv_output_size, same_padding)
