"""Every page in both languages, in headless Chromium, against the real `streamlit run` server."""

import pytest

from deeplab_core.i18n import LANGUAGES, catalogue, text
from lessons import available_lessons
from tests.browser_support import full_screenshot, screenshot_dir, wait_for_app

pytestmark = pytest.mark.browser
LESSONS = available_lessons()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshot_dir(tmp_path_factory)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_page_renders_in_the_browser(page, app_url, shots, lesson, lang):
    url_path = "" if lesson is LESSONS[0] else lesson.slug
    page.goto(f"{app_url}/{url_path}?lang={lang}")
    wait_for_app(page)
    title = text(f"{lesson.slug}.title", lang)
    heading = page.locator("h1").first
    heading.wait_for(timeout=60_000)
    assert title in heading.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0
    full_screenshot(page, shots / f"{lesson.slug}_{lang}.png")
    assert page.locator("[data-testid=stException]").count() == 0
    # The navigation lists every lesson in the reader's language (by its short name where it has one).
    nav = page.locator("[data-testid=stSidebarNav]").inner_text()
    names = catalogue(lang)
    assert all(names.get(f"{other.slug}.nav_title", names[f"{other.slug}.title"]) in nav for other in LESSONS)


def test_language_switch_updates_the_url(page, app_url):
    page.goto(f"{app_url}/formula?lang=en")
    wait_for_app(page)
    page.locator("[data-testid=stSidebar] label").filter(has_text="中文").first.click()
    page.wait_for_url("**lang=zh**", timeout=30_000)
    wait_for_app(page)
    page.locator("h1", has_text=text("formula.title", "zh")).wait_for(timeout=30_000)


def test_browser_locale_picks_the_default_language(browser, app_url):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{app_url}/formula")
    wait_for_app(page)
    page.locator("h1", has_text=text("formula.title", "zh")).wait_for(timeout=30_000)
    context.close()


def test_formula_animation_has_play_controls(page, app_url):
    page.goto(f"{app_url}/formula?lang=en")
    wait_for_app(page)
    page.get_by_text(text("common.play", "en")).first.wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 2
