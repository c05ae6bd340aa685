"""The segment lesson in AppTest: a sample and an upload segmented in both languages, a bad upload, offline."""

import io
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from deeplab_core.i18n import text
from tests.apptest_support import chart_titles, open_page


def png(width: int = 96, height: int = 72) -> bytes:
    y, x = np.mgrid[0:height, 0:width]  # (H, W)
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], -1).astype(np.uint8)  # (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def assert_result(at, lang: str) -> None:
    assert not at.exception
    titles = chart_titles(at)
    assert text("segment.fig.overlay_title", lang) in titles
    assert text("segment.fig.confidence_title", lang) in titles
    assert text("segment.fig.legend_title", lang) in titles
    labels = [m.label for m in at.metric]
    assert labels == [text(f"segment.{k}", lang) for k in ("preprocess", "inference", "postprocess", "total")]
    assert all(m.value.endswith(" ms") and float(m.value.split()[0]) >= 0 for m in at.metric)
    assert len(at.get("download_button")) == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_is_segmented(lang, random_weights_folder, monkeypatch, tmp_path):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", str(random_weights_folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # the engine's export cache: this test's own
    at = open_page("segment", lang)
    assert_result(at, lang)
    assert not at.error  # weights from a file: no untrained banner


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_is_segmented_and_a_bad_one_explained(lang, random_weights_folder, monkeypatch, tmp_path):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", str(random_weights_folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # the engine's export cache: this test's own
    at = open_page("segment", lang)
    at.radio(key="segment_src").set_value("upload").run()
    at.file_uploader(key="segment_photo_upload").set_value(("photo.png", png(), "image/png")).run()
    assert_result(at, lang)
    caption = text("segment.network_input", lang, width=693, height=520, photo_width=96, photo_height=72)
    assert caption in [c.value for c in at.caption]
    at.file_uploader(key="segment_photo_upload").set_value(("notes.png", b"not a picture", "image/png")).run()
    assert not at.exception
    message = text("errors.image.not_image", lang, formats="JPEG, PNG, WebP, BMP, GIF, TIFF")
    assert [e.value for e in at.error] == [message]
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_offline_explains_and_labels_untrained_output(lang, tmp_path, monkeypatch, hub_dir):
    monkeypatch.delenv("ATROUS_LAB_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    at = open_page("segment", lang)
    assert not at.exception
    warning = at.warning[0].value
    assert "deeplabv3_mobilenet_v3_large-fc3c493d.pth" in warning
    assert str(tmp_path) not in warning  # the server's paths go to its log, not to students
    assert "python -m deeplab_core.weights download mobilenet_v3_large" in warning
    assert not at.get("plotly_chart")  # nothing is shown until untrained weights are chosen
    at.toggle(key="untrained").set_value(True).run()
    assert not at.exception
    assert at.error[0].value == text("segment.untrained_banner", lang)
    titles = chart_titles(at)
    prefix = text("segment.fig.untrained_prefix", lang)
    assert sum(title.startswith(prefix) for title in titles) == 2
    assert text("segment.fig.legend_title_untrained", lang) in titles
    assert [b.proto.label for b in at.get("download_button")]
