"""A photo file over the upload limit is refused in the reader's language, before it is read or decoded.

Streamlit's uploader refuses files over its own limit (server.maxUploadSize) in English and writes "NN MB per file"
in English in its drop zone; so that limit is set above the app's (config.UPLOAD_MAX_MB), the page states the app's
limit translated and refuses a larger file itself. The browser test drops a file just over the app's limit on the
Chinese page, as a student would."""

import pytest
import tomllib
from playwright.sync_api import expect

from deeplab_core.config import UPLOAD_MAX_MB
from deeplab_core.i18n import LANGUAGES, text
from tests.apptest_support import open_page
from tests.browser_support import one_run, wait_for_app
from tests.paths import ROOT

MB = 2**20
OVER = UPLOAD_MAX_MB * MB + 1  # one byte too many


def too_big(size: int = OVER) -> bytes:
    """A PNG signature and zeros: the page must refuse it by its size, without trying to decode it."""
    return b"\x89PNG\r\n\x1a\n" + bytes(size - 8)


def test_streamlits_own_limit_is_above_the_apps():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["maxUploadSize"] > UPLOAD_MAX_MB


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_file_over_the_limit_is_refused_in_the_readers_language(lang, monkeypatch):
    from lessons.parts import photo_input

    decoded: list[int] = []
    monkeypatch.setattr(photo_input, "load_image", lambda data, **_: decoded.append(len(data)))
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "random")
    at = open_page("segment", lang)
    at.radio(key="segment_src").set_value("upload").run()
    assert text("serving.upload_limit", lang, limit=UPLOAD_MAX_MB) in [c.value for c in at.caption]
    at.file_uploader(key="segment_photo_upload").set_value(("big.png", too_big(), "image/png")).run()
    assert not at.exception
    message = text("errors.image.too_big", lang, size=f"{OVER / MB:.1f}", limit=UPLOAD_MAX_MB)
    assert [e.value for e in at.error] == [message]
    assert decoded == [] and not at.get("plotly_chart")


def test_dropping_a_too_big_photo_on_the_chinese_page_says_so_in_chinese(app_url, page):
    page.goto(f"{app_url}/segment?lang=zh")
    wait_for_app(page)
    with one_run(page):
        page.get_by_text(text("segment.photo.source_name.upload", "zh"), exact=True).click()
    expect(page.get_by_text(text("serving.upload_limit", "zh", limit=UPLOAD_MAX_MB))).to_be_visible()
    expect(page.get_by_test_id("stFileUploaderDropzoneInstructions")).to_be_hidden()  # Streamlit's English line
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "big.png", "mimeType": "image/png", "buffer": too_big()}]
    )
    message = text("errors.image.too_big", "zh", size=f"{OVER / MB:.1f}", limit=UPLOAD_MAX_MB)
    expect(page.get_by_text(message)).to_be_visible(timeout=120_000)
    expect(page.get_by_text("or smaller")).to_have_count(0)  # Streamlit's own English refusal
