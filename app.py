"""Atrous Lab: the router. Page config, warm-up, language, sidebar, navigation; the lessons do the rest."""

import streamlit as st

from lessons import available_lessons
from lessons.parts.link_box import view_tools
from lessons.parts.sidebar import choose_language, compute_box, projector_toggle
from lessons.parts.ui import nav_title, page_style
from lessons.parts.warmup import prepare, start_background

st.set_page_config(page_title="Atrous Lab", page_icon=":material/blur_on:", layout="wide")

choose_language()
lessons = available_lessons()
pages = [
    st.Page(str(lesson.path), title=nav_title(lesson.slug), icon=lesson.icon, url_path=lesson.slug, default=(i == 0))
    for i, lesson in enumerate(lessons)
]
page = st.navigation(pages)
prepare(next(lesson.path for lesson, p in zip(lessons, pages, strict=True) if p is page))  # imports, once
projector_toggle()
page_style()
link_slot = st.sidebar.container()  # the link box: above the compute box, in sight on a laptop screen
compute_box()
page.run()
view_tools(link_slot)  # after the page: the link holds every control as the page left it
start_background()  # the other pages' imports, after the first page has painted
