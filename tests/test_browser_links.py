"""A link is a view, in headless Chromium against the real server: set controls on every lesson, read the URL,
open it in a fresh browser (a new session) and find the same values; garbage in a link gives no error; a lesson
keeps its state when the student leaves and comes back; the language switch carries the choices along, and a
link made in Chinese opens the same view in English; the link box is in sight on a laptop; one seed in a link
gives two fresh browsers the same questions."""

from __future__ import annotations

import pytest

from deeplab_core.i18n import catalogue, text
from lessons import available_lessons
from tests.browser_support import one_run, wait_for_app

HOME = available_lessons()[0].slug
IN_FRAGMENTS = {"size", "mg_os"}  # controls inside an st.fragment: their rerun does not redraw the sidebar


def url_of(app_url: str, slug: str, query: str = "") -> str:
    return f"{app_url}/{'' if slug == HOME else slug}{query}"


def sidebar_link(page) -> str:
    return page.locator("[data-testid=stSidebar] [data-testid=stCode]").first.inner_text().strip()


def in_url(page, key: str, value: str | None = None) -> None:
    """Wait for the address bar to carry that control (`key=value`, or `key` with any value)."""
    page.wait_for_function(
        """([k, v]) => { const u = new URLSearchParams(location.search).getAll(k);
                        return u.length > 0 && (v === null || u.some(x => Math.abs(x - v) < 1e-9)); }""",
        arg=[key, value],
        timeout=30_000,
    )


def nudge(page, key: str, steps: int) -> None:
    """Move the slider with widget key `key` by `steps` (keyboard, as a student with arrows would)."""
    handle = page.locator(f".st-key-{key} input[type=range]").first
    for _ in range(abs(steps)):  # one step at a time, each one run and in the URL before the next
        before = handle.input_value()
        with one_run(page):
            handle.focus()
            page.keyboard.press("ArrowRight" if steps > 0 else "ArrowLeft")
            page.wait_for_function("([e, b]) => e.value !== b", arg=[handle.element_handle(), before], timeout=30_000)
        in_url(page, key, handle.input_value())


def flip(page, key: str) -> None:
    with one_run(page):
        page.locator(f".st-key-{key} label").first.click()
    in_url(page, key)


def pick(page, key: str, label: str) -> None:
    with one_run(page):
        page.locator(f".st-key-{key} label").filter(has_text=label).first.click()
    in_url(page, key)


def read(page, key: str) -> str:
    """What a control shows: a slider's value, a switch's state, a radio's chosen label."""
    root = page.locator(f".st-key-{key}").first
    root.locator("input").first.wait_for(state="attached", timeout=60_000)
    return root.evaluate(  # one round trip to the browser, not one per question
        """root => { const slider = root.querySelector('input[type=range]');
                    if (slider) return slider.value;
                    const checked = root.querySelectorAll('input:checked');
                    if (root.querySelector('input[type=radio]')) return checked[0].closest('label').innerText.trim();
                    return checked.length === 1 ? 'True' : 'False'; }"""
    )


def actions(lang: str) -> dict[str, list[tuple]]:
    """Per lesson: what a teacher sets before copying the link (kind, key, argument)."""
    return {
        "overview": [("nudge", "input", 1), ("flip", "log", None)],
        "formula": [("nudge", "d", 1), ("nudge", "i", 1), ("flip", "same", None)],
        "receptive_field": [
            ("pick", "preset", text("receptive_field.presets.gridding", lang)),
            ("flip", "rf_log", None),
        ],
        "output_stride": [("pick", "mg_os", text("output_stride.os_name.8", lang))],
        "aspp": [("nudge", "size", 2)],
        "large_rates": [
            ("nudge", "rate", 2),
            ("pick", "where", text("large_rates.position_name.corner", lang)),
            ("flip", "all", None),
        ],
        "segment": [("pick", "res", "320"), ("nudge", "opacity", -2)],
    }


# Each lesson in one language, the languages alternating: what a link stores is language-neutral (keys and numbers,
# test_switching_language_carries_the_choices_into_the_link), so both languages of one lesson test the same thing.
@pytest.mark.parametrize(("slug", "lang"), [(slug, ("en", "zh")[i % 2]) for i, slug in enumerate(actions("en"))])
def test_a_copied_link_opens_the_same_view_in_a_new_browser(page, new_tab, app_url, slug, lang):
    # the teacher's tab
    page.goto(url_of(app_url, slug, f"?lang={lang}"))
    wait_for_app(page)
    steps = actions(lang)[slug]
    do = {"nudge": nudge, "flip": flip, "pick": pick}
    for kind, key, arg in steps:
        do[kind](page, key, *([] if arg is None else [arg]))
    shown = {key: read(page, key) for _, key, _ in steps}
    link = page.url
    for _, key, _ in steps:
        assert f"{key}=" in link, (key, link)
    copied = sidebar_link(page)  # the sidebar's copy of it (controls inside a fragment join at the next full run)
    assert copied.startswith(url_of(app_url, slug).rstrip("/")) and f"lang={lang}" in copied
    for _, key, _ in steps:
        assert (f"{key}=" in copied) == (key not in IN_FRAGMENTS), (key, copied)
    page.close()

    page = new_tab()  # the student's: a new browser, and a new session
    page.goto(link)
    wait_for_app(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("h1").first.inner_text().strip() == text(f"{slug}.title", lang)
    assert {key: read(page, key) for key in shown} == shown


# One lesson with a slider, a choice and a switch: what the browser adds to the AppTest check of every lesson and
# language (tests/test_links.py: defaults, no error, nothing invalid left in the link or the query parameters) is
# the address bar itself, written by the one shared routine (lessons.parts.widgets) for every lesson.
GARBAGE_LESSON = "large_rates"


def test_garbage_in_a_link_gives_no_error(page, app_url):
    slug = GARBAGE_LESSON
    own = {key for _, key, _ in actions("en")[slug]}
    junk = "&".join(f"{key}=banana" for key in sorted(own))
    page.goto(url_of(app_url, slug, f"?lang=en&{junk}&projector=maybe"))
    wait_for_app(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("h1").first.inner_text().strip() == text(f"{slug}.title", "en")
    query = page.url.split("?", 1)[-1]
    assert "banana" not in query and "maybe" not in query  # invalid values leave the URL
    assert "banana" not in sidebar_link(page)
    numbers = page.goto(url_of(app_url, slug, "?lang=en&" + "&".join(f"{key}=-99999" for key in sorted(own))))
    assert numbers is not None
    wait_for_app(page)
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_lesson_keeps_its_state_when_the_student_comes_back(page, app_url):
    page.goto(url_of(app_url, "formula", "?lang=en"))
    wait_for_app(page)
    nudge(page, "d", 3)
    assert read(page, "d") == "5"
    with one_run(page):
        page.locator("[data-testid=stSidebarNav] a").filter(has_text=text("overview.title", "en")).first.click()
    with one_run(page):
        page.locator("[data-testid=stSidebarNav] a").filter(has_text=text("formula.title", "en")).first.click()
    assert read(page, "d") == "5"
    assert "d=5" in sidebar_link(page) and "d=5" in page.url


def test_switching_language_carries_the_choices_into_the_link(page, new_tab, app_url):
    page.goto(url_of(app_url, "receptive_field", "?lang=en"))
    wait_for_app(page)
    pick(page, "preset", text("receptive_field.presets.gridding", "en"))
    with one_run(page):
        page.locator("[data-testid=stSidebar] label").filter(has_text="中文").first.click()
    page.wait_for_url("**lang=zh**", timeout=30_000)
    assert read(page, "preset") == text("receptive_field.presets.gridding", "zh")  # still chosen, now in Chinese
    link = sidebar_link(page)
    assert "preset=gridding" in link and "lang=zh" in link  # the option's key, in either language
    assert "preset=gridding" in page.url
    page.close()
    for lang in ("zh", "en"):  # the Chinese link, and the same link opened in English: the same view
        tab = new_tab()  # a new browser
        tab.goto(link.replace("lang=zh", f"lang={lang}"))
        wait_for_app(tab)
        assert read(tab, "preset") == text("receptive_field.presets.gridding", lang)
        assert "preset=gridding" in sidebar_link(tab)


def test_the_link_box_and_reset_are_in_sight_on_a_laptop(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url_of(app_url, "formula", "?lang=zh&d=4"))
    wait_for_app(page)
    codes = page.locator("[data-testid=stSidebar] [data-testid=stCode]")
    reset = page.locator("[data-testid=stSidebar] .st-key-reset_formula button")
    for element in (codes.nth(0), codes.nth(1), reset):
        box = element.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, box  # no scrolling of the sidebar needed


def quiz_prompts(page) -> list[str]:
    """Open the lesson's questions; their prompts as printed (bold body text), in order."""
    expander = page.locator("[data-testid=stExpander]").filter(has_text=text("quiz.heading", "en")).first
    expander.locator("summary").click()
    prompts = expander.locator("[data-testid=stMarkdownContainer] strong")
    prompts.first.wait_for(timeout=30_000)
    return [p.strip() for p in prompts.all_inner_texts()]


def test_one_seed_link_gives_two_fresh_browsers_the_same_questions(new_tab, app_url):
    from deeplab_core.quiz import draw, prompt

    link = url_of(app_url, "formula", "?lang=en&seed=424242")
    tabs = [new_tab(), new_tab()]  # two students' browsers: nothing shared, two sessions
    for tab in tabs:
        tab.goto(link)
        wait_for_app(tab)
    asked = [prompt(q, "en") for q in draw("formula", 424242)]
    assert quiz_prompts(tabs[0]) == quiz_prompts(tabs[1]) == asked
    assert "seed=424242" in tabs[0].url and "seed=424242" in sidebar_link_for_room(tabs[1])
    # a question is printed at least as large as the explanation that answers it
    tab, question = tabs[0], draw("formula", 424242)[0]
    with one_run(tab):
        field = tab.locator(f".st-key-q_formula_{question.key} input")
        field.fill(str(question.answer))
        field.press("Enter")
    explanation = tab.locator("[data-testid=stExpander] [data-testid=stMarkdownContainer] p").filter(
        has_text=text(question.figure, "en") if question.figure else ""
    )
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    prompt_size = tab.locator("[data-testid=stExpander] strong").first.evaluate(size)
    assert prompt_size >= explanation.last.evaluate(size)


def sidebar_link_for_room(page) -> str:
    return page.locator("[data-testid=stSidebar] [data-testid=stCode]").nth(1).inner_text().strip()


def test_reset_clears_the_lesson_and_its_link(page, app_url):
    page.goto(url_of(app_url, "formula", "?lang=en&d=5&i=12"))
    wait_for_app(page)
    assert (read(page, "d"), read(page, "i")) == ("5", "12")
    with one_run(page):
        page.locator(".st-key-reset_formula button").click()
    assert (read(page, "d"), read(page, "i")) == ("2", "7")
    assert sidebar_link(page).endswith("?lang=en")


def test_short_navigation_titles_fit(page, app_url):
    page.goto(url_of(app_url, HOME, "?lang=en"))
    wait_for_app(page)
    nav = page.locator("[data-testid=stSidebarNav]").inner_text()
    assert text("aspp.nav_title", "en") in nav and text("aspp.title", "en") not in nav
    assert "aspp.nav_title" in {k for k in catalogue("zh")}
