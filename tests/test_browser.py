"""Every page in both languages, in headless Chromium, against the real `streamlit run` server."""

import pytest

from deeplab_core.i18n import LANGUAGES, catalogue, text
from lessons import available_lessons
from tests.browser_support import one_run, screenshot, wait_for_app

LESSONS = available_lessons()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_page_renders_in_the_browser(page, app_url, lesson, lang):
    url_path = "" if lesson is LESSONS[0] else lesson.slug
    page.goto(f"{app_url}/{url_path}?lang={lang}")
    wait_for_app(page)
    title = text(f"{lesson.slug}.title", lang)
    heading = page.locator("h1").first
    heading.wait_for(timeout=60_000)
    assert title in heading.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0
    screenshot(page, f"{lesson.slug}_{lang}")  # with ATROUS_LAB_SCREENSHOTS set
    assert page.locator("[data-testid=stException]").count() == 0
    # The navigation lists every lesson in the reader's language (by its short name where it has one).
    nav = page.locator("[data-testid=stSidebarNav]").inner_text()
    names = catalogue(lang)
    assert all(names.get(f"{other.slug}.nav_title", names[f"{other.slug}.title"]) in nav for other in LESSONS)


def test_language_switch_updates_the_url(page, app_url):
    page.goto(f"{app_url}/formula?lang=en")
    wait_for_app(page)
    with one_run(page):
        page.locator("[data-testid=stSidebar] label").filter(has_text="中文").first.click()
    page.wait_for_url("**lang=zh**", timeout=30_000)
    page.locator("h1", has_text=text("formula.title", "zh")).wait_for(timeout=30_000)


def test_browser_locale_picks_the_default_language(new_tab, app_url):
    page = new_tab(locale="zh-CN")
    page.goto(f"{app_url}/formula")
    wait_for_app(page)
    page.locator("h1", has_text=text("formula.title", "zh")).wait_for(timeout=30_000)


def test_formula_animation_has_play_controls(page, app_url):
    page.goto(f"{app_url}/formula?lang=en")
    wait_for_app(page)
    page.get_by_text(text("common.play", "en")).first.wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 2
