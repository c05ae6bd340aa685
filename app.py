"""Atrous Lab: the router. Page config, language, sidebar, navigation; the lessons do the rest."""

import streamlit as st

from lessons import available_lessons
from lessons.parts.sidebar import choose_language, compute_box
from lessons.parts.ui import t

st.set_page_config(page_title="Atrous Lab", page_icon=":material/blur_on:", layout="wide")

choose_language()
pages = [
    st.Page(str(lesson.path), title=t(f"{lesson.slug}.title"), icon=lesson.icon, url_path=lesson.slug, default=(i == 0))
    for i, lesson in enumerate(available_lessons())
]
page = st.navigation(pages)
compute_box()
page.run()
