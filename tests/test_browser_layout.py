"""In front of a class: every lesson, in English and Chinese, on a projector (projector mode, dark theme, 1280×720)
and on a phone (390×844, touch), read back from the rendered page (tests/layout_probe.py): no text cut or spilled
out of its box, no titles, legends or labels on top of each other, no label hidden on a picture, no page that
scrolls sideways; on the projector no text under 16 px and every table's columns in sight (on a phone a wide data
table may scroll sideways in its own box, as tables do there).

Fast by design: the session's one Chromium and one server, one tab per screen kept for the whole walk, and both
screens loading the same lesson at once. Screenshots only when ATROUS_LAB_SCREENSHOTS names a folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from deeplab_core.i18n import LANGUAGES, catalogue, text
from lessons import available_lessons
from tests.browser_support import screenshot, wait_for_lesson
from tests.layout_probe import problems

LESSONS = available_lessons()
HOME = LESSONS[0].slug
PROJECTOR_TEXT = 16  # px, as deeplab_core.figures.style.PROJECTOR_TEXT asks of the charts


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    query: str  # what the link adds for this screen
    min_text: float
    wide_tables: bool
    context: dict


SCREENS = (
    Screen("projector", 1280, 720, "&projector=true", PROJECTOR_TEXT, False, {"color_scheme": "dark"}),
    Screen("phone", 390, 844, "", 0, True, {"is_mobile": True, "has_touch": True}),
)
CHARTS_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)
                        && document.fonts.status === 'loaded'"""


@pytest.fixture(scope="module")
def tabs(browser):
    """One tab per screen, in its own browser context (viewport, theme, touch), kept for every lesson."""
    contexts = {s.name: browser.new_context(viewport={"width": s.width, "height": s.height}, locale="en-US",
                                            **s.context) for s in SCREENS}  # fmt: skip
    yield {name: context.new_page() for name, context in contexts.items()}
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", [lesson.slug for lesson in LESSONS])
def test_nothing_is_cut_spilled_or_overlapped(tabs, app_url, slug, lang):
    """Also the page itself: its title in the reader's language, no exception, and (with the sidebar open on the
    projector) the navigation listing every lesson in that language, by its short name where it has one."""
    path = "" if slug == HOME else slug
    for screen in SCREENS:  # both screens load the lesson at once: the server works on the two sessions together
        tabs[screen.name].goto(f"{app_url}/{path}?lang={lang}{screen.query}", wait_until="commit")
    found = {}
    for screen in SCREENS:
        page = tabs[screen.name]
        wait_for_lesson(page, text(f"{slug}.title", lang))  # its run finished, not merely not yet begun
        assert page.locator("[data-testid=stException]").count() == 0, (screen.name, slug, lang)
        page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
        found[screen.name] = problems(page, min_text=screen.min_text, wide_tables=screen.wide_tables)
        screenshot(page, f"layout-{screen.name}-{lang}-{slug}", width=screen.width)
        page.set_viewport_size({"width": screen.width, "height": screen.height})  # screenshot() made it tall
    broken = [f"{name}: {line}" for name, lines in found.items() for line in lines]
    assert not broken, f"{slug} ({lang}):\n" + "\n".join(broken)
    nav = tabs["projector"].locator("[data-testid=stSidebarNav]").inner_text()
    names = catalogue(lang)
    assert all(names.get(f"{other.slug}.nav_title", names[f"{other.slug}.title"]) in nav for other in LESSONS)
