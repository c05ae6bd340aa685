"""The segment lesson in headless Chromium against `streamlit run`: upload a photo and see it segmented (the
session's server loads its MobileNetV3 from a random state dict, like a real checkpoint)."""

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from deeplab_core.i18n import text
from tests.browser_support import one_run, screenshot, wait_for_app


def photo_png() -> bytes:
    y, x = np.mgrid[0:240, 0:320]  # (H, W)
    pixels = np.stack([x * 255 // 320, y * 255 // 240, 128 + 0 * x], -1).astype(np.uint8)  # (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_and_see_the_result(app_url, page, lang):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{app_url}/segment?lang={lang}")
    wait_for_app(page)
    with one_run(page):
        page.get_by_text(text("segment.photo.source_name.upload", lang), exact=True).click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "gradient.png", "mimeType": "image/png", "buffer": photo_png()}]
    )
    caption = text("segment.network_input", lang, width=693, height=520, photo_width=320, photo_height=240)
    page.get_by_text(caption).wait_for(timeout=180_000)  # this upload's result, not an earlier state
    wait_for_app(page)
    expect(page.locator("[data-testid=stMetric]")).to_have_count(4)
    expect(page.locator(".js-plotly-plot")).to_have_count(3)  # plotly draws after the script has finished
    expect(page.get_by_text(text("segment.fig.overlay_title", lang))).to_have_count(1)
    assert page.locator("[data-testid=stException]").count() == 0
    assert not errors
    screenshot(page, f"segment_upload_{lang}")  # with ATROUS_LAB_SCREENSHOTS set
