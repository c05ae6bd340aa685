"""The app in headless Chromium against the real `streamlit run` server: the language switch, the browser's locale,
the animations' controls."""

from deeplab_core.i18n import text
from tests.browser_support import one_run, wait_for_app

# Every lesson in both languages renders (title, navigation, no exception) in tests/test_browser_layout.py, which
# opens each on a projector and a phone anyway.


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
