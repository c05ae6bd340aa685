"""Lesson 1 (home page): the two problems DeepLab solves, the four multi-scale designs, and the course map."""

import streamlit as st

from deeplab_core.config import OBJECT_WIDTHS, OUTPUT_STRIDES
from deeplab_core.figures.overview import DESIGNS, design_figure, resolution_figure
from deeplab_core.maths.resolution import object_cells, stage_sizes
from lessons import available_lessons
from lessons.parts.quiz import quiz
from lessons.parts.ui import chart, header, language, nav_title, projector, section, show_source, t, what_to_notice
from lessons.parts.widgets import int_slider, toggle

LESSON = "overview"


def resolution_problem() -> int:
    """Problem 1: the feature map after each stage, at output stride 32, 16 and 8; returns the input side."""
    st.subheader(t("overview.resolution_heading"))
    section(LESSON, "resolution")
    cols = st.columns([3, 1])
    size = int_slider(
        "input", "overview.input_size", 33, 1025, 513, help_key="overview.input_size_help", container=cols[0]
    )
    log_y = toggle("log", "overview.log_scale", container=cols[1])
    chart(resolution_figure(size, language(), log_y=log_y), key="overview_resolution")
    for col, os in zip(st.columns(len(OUTPUT_STRIDES)), OUTPUT_STRIDES, strict=True):
        last = stage_sizes(size, os)[-1]
        col.metric(t("overview.final_map", os=os), t("overview.final_value", size=last.size))
        col.caption(t("overview.cell_covers", stride=last.stride))
    return size


def scale_problem(size: int) -> None:
    """Problem 2: how many cells of the last map objects of several widths span."""
    st.subheader(t("overview.scale_heading"))
    section(LESSON, "scale")
    columns = {os: t("overview.col_os", os=os) for os in OUTPUT_STRIDES}
    rows = [
        {t("overview.col_object"): width, **{columns[os]: object_cells(width, size, os) for os in columns}}
        for width in OBJECT_WIDTHS
        if width <= size
    ]
    st.caption(t("overview.objects_caption", size=size))
    shown = [{name: f"{v:.1f}" if name in columns.values() else str(v) for name, v in row.items()} for row in rows]
    st.table(shown, hide_index=True)  # four short columns: the whole table fits a phone, nothing to scroll


def designs() -> None:
    st.header(t("overview.designs_heading"))
    section(LESSON, "designs")
    per_row = 1 if projector() else 2  # a projected schematic gets the page's width: its labels at 16 px fit
    for start in range(0, len(DESIGNS), per_row):
        row = DESIGNS[start : start + per_row]
        for col, design in zip(st.columns(per_row, gap="large"), row, strict=True):
            with col:
                st.markdown(f"#### {t(f'overview.design.{design}')}")
                chart(design_figure(design, language()), key=f"overview_design_{design}", config={"staticPlot": True})
                section(LESSON, design)


def course_map() -> None:
    st.header(t("overview.map_heading"))
    section(LESSON, "map")
    for lesson in available_lessons():
        if lesson.slug == LESSON:
            continue
        cols = st.columns([3, 5], vertical_alignment="center")
        cols[0].page_link(str(lesson.path), label=nav_title(lesson.slug), icon=lesson.icon)  # the sidebar's name: fits
        cols[1].markdown(t(f"overview.map.{lesson.slug}"))


header(LESSON)
st.header(t("overview.problems_heading"))
input_side = resolution_problem()
scale_problem(input_side)
designs()
course_map()
quiz(LESSON)
what_to_notice(LESSON)
show_source(stage_sizes, object_cells)
