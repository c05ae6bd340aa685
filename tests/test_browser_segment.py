"""The segment lesson in headless Chromium against `streamlit run`: upload a photo and see it segmented."""

import io

import numpy as np
import pytest
from PIL import Image

from deeplab_core.i18n import text
from tests.browser_support import (
    full_screenshot,
    require_chromium,
    screenshot_dir,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(random_weights_folder):
    """A server whose MobileNetV3 weights are a random state dict loaded like a real checkpoint."""
    require_chromium()
    with streamlit_server({"ATROUS_LAB_WEIGHTS": str(random_weights_folder)}) as url:
        yield url


def photo_png() -> bytes:
    y, x = np.mgrid[0:240, 0:320]  # (H, W)
    pixels = np.stack([x * 255 // 320, y * 255 // 240, 128 + 0 * x], -1).astype(np.uint8)  # (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_and_see_the_result(server, page, lang, tmp_path_factory):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/segment?lang={lang}")
    wait_for_app(page)
    page.get_by_text(text("segment.photo.source_name.upload", lang), exact=True).click()
    wait_for_app(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "gradient.png", "mimeType": "image/png", "buffer": photo_png()}]
    )
    caption = text("segment.network_input", lang, width=693, height=520, photo_width=320, photo_height=240)
    page.get_by_text(caption).wait_for(timeout=180_000)  # this upload's result, not an earlier state
    wait_for_app(page)
    page.wait_for_timeout(500)  # plotly draws after the script has finished
    assert page.locator("[data-testid=stMetric]").count() == 4
    assert page.locator(".js-plotly-plot").count() == 3
    assert page.get_by_text(text("segment.fig.overlay_title", lang)).count() == 1
    assert page.locator("[data-testid=stException]").count() == 0
    assert not errors
    full_screenshot(page, screenshot_dir(tmp_path_factory) / f"segment_upload_{lang}.png")
