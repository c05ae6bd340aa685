"""deeplab_core.images on hostile uploads: huge sizes are scaled or refused before decoding, and bad files say why
in every language."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from deeplab_core.i18n import LANGUAGES, catalogue, text
from deeplab_core.images import ImageLoadError, fit_size, load_image
from tests.image_support import BLUE, GREEN, RED, corner_image, encode, pixels, raw_png

# --- size limits ---------------------------------------------------------------------------------------


def test_large_photo_is_downscaled_keeping_aspect() -> None:
    image = Image.new("RGB", (3000, 1000), BLUE)
    image.paste(RED, (0, 0, 1500, 1000))
    loaded = load_image(encode(image, "PNG"))
    assert loaded.size == (2048, 683)
    assert pixels(loaded)[300, 500].tolist() == list(RED) and pixels(loaded)[300, 1500].tolist() == list(BLUE)
    assert load_image(encode(image, "PNG"), max_side=None).size == (3000, 1000)


@pytest.mark.parametrize("orientation", [1, 6])
def test_large_jpeg_is_downscaled_after_rotation(orientation: int) -> None:
    image = Image.new("RGB", (2400, 1200), GREEN)
    exif = Image.Exif()
    exif[0x0112] = orientation
    loaded = load_image(encode(image, "JPEG", exif=exif), max_side=500)
    assert loaded.size == ((500, 250) if orientation == 1 else (250, 500))
    assert np.abs(pixels(loaded)[100, 100] - GREEN).max() <= 8


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20_000), st.integers(1, 20_000), st.integers(1, 4096))
def test_fit_size_keeps_aspect_within_the_limit(width: int, height: int, max_side: int) -> None:
    w, h = fit_size(width, height, max_side)
    assert 1 <= w <= width and 1 <= h <= height and max(w, h) <= max_side
    if max(width, height) <= max_side:
        assert (w, h) == (width, height)
    else:
        scale = max_side / max(width, height)
        assert max(w, h) == max_side
        # each side is the exact scaled size rounded to the nearest pixel (and never below one)
        assert abs(w - max(1.0, width * scale)) <= 0.5 + 1e-9 and abs(h - max(1.0, height * scale)) <= 0.5 + 1e-9


def bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of zeros: a few kB on disk, width * height pixels (x3 bytes as RGB) once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    return raw_png(width, height, 1, 0, row * height)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height"), [(8000, 8000), (10_000, 10_000), (100_000, 100_000)])
def test_decompression_bomb_is_refused_before_decoding(width: int, height: int, no_decoding: None) -> None:
    data = bomb(width, height) if width <= 10_000 else raw_png(width, height, 1, 0, b"")  # header only
    assert len(data) < 100_000
    start = time.perf_counter()
    with pytest.raises(ImageLoadError) as caught:
        load_image(data)
    assert time.perf_counter() - start < 1.0
    assert caught.value.reason == "too_many_pixels"
    assert caught.value.values == {"megapixels": round(width * height / 1e6, 1), "limit": 50.0}


def test_pixel_limit_is_a_parameter() -> None:
    data = encode(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(ImageLoadError, match="limit") as caught:
        load_image(data, max_pixels=5_000)
    assert caught.value.values == {"megapixels": 0.0, "limit": 0.0}
    assert load_image(data, max_pixels=10_000).size == (100, 100)


# --- bad input -----------------------------------------------------------------------------------------


def bad_inputs() -> dict[str, tuple[bytes, str]]:
    jpeg, png = encode(corner_image(), "JPEG"), encode(corner_image(), "PNG")
    return {
        "empty": (b"", "empty"),
        "random bytes": (np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(), "not_image"),
        "text file": ("name,colour\ncat,grey\n猫,灰色\n".encode(), "not_image"),
        "html page": (b"<!doctype html><html><body>404</body></html>", "not_image"),
        "text starting like a bitmap": (b"BMW,Mini\nAudi,VW\n", "not_image"),
        "bmp cut in its header": (encode(corner_image(), "BMP")[:20], "truncated"),
        "webp cut in its header": (encode(corner_image(), "WEBP")[:16], "truncated"),
        "truncated jpeg": (jpeg[: len(jpeg) // 2], "truncated"),
        "truncated png": (png[: len(png) // 2], "truncated"),
        "jpeg cut in its header": (jpeg[:20], "truncated"),
        "png signature only": (png[:8], "truncated"),
        "corrupt png data": (png[:60] + bytes(len(png) - 60), "truncated"),
        "ppm image": (encode(corner_image(), "PPM"), "unsupported_format"),
        "ico image": (encode(corner_image(), "ICO"), "unsupported_format"),
    }


@pytest.mark.parametrize("case", sorted(bad_inputs()))
def test_bad_input_raises_with_a_reason(case: str) -> None:
    data, reason = bad_inputs()[case]
    with pytest.raises(ImageLoadError) as caught:
        load_image(data)
    assert isinstance(caught.value, ValueError)
    assert caught.value.reason == reason
    assert str(caught.value)  # an English message for logs
    if reason == "unsupported_format":
        assert caught.value.values["format"] == case.split()[0].upper()


def unconvertible(monkeypatch: pytest.MonkeyPatch) -> ImageLoadError:
    """A CMYK TIFF whose conversion fails, as an exotic mode would; returns the error."""
    convert = Image.Image.convert

    def failing(self: Image.Image, mode: str | None = None, *args: object, **kwargs: object) -> Image.Image:
        if self.mode == "CMYK":
            raise ValueError(f"conversion from {self.mode} to {mode} not supported")
        return convert(self, mode, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", failing)
    with pytest.raises(ImageLoadError) as caught:
        load_image(encode(Image.new("CMYK", (4, 4)), "TIFF"))
    return caught.value


def test_unconvertible_colour_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    error = unconvertible(monkeypatch)
    assert (error.reason, error.values) == ("unsupported_mode", {"mode": "CMYK"})
    assert isinstance(error.__cause__, ValueError)


def test_every_reason_has_a_message_in_every_language_with_its_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[ImageLoadError] = []
    for data, _ in bad_inputs().values():
        with pytest.raises(ImageLoadError) as caught:
            load_image(data)
        errors.append(caught.value)
    small = encode(Image.new("RGB", (10, 10)), "PNG")
    for limit in ({"max_pixels": 10}, {"budget_bytes": 1}):
        with pytest.raises(ImageLoadError) as caught:
            load_image(small, **limit)
        errors.append(caught.value)
    errors.append(unconvertible(monkeypatch))
    reasons = {error.reason for error in errors}
    assert reasons == {
        *("empty", "not_image", "truncated", "unsupported_format", "unsupported_mode"),
        *("too_many_pixels", "too_much_memory"),
    }
    for lang in LANGUAGES:
        keys = {key.removeprefix("errors.image.") for key in catalogue(lang) if key.startswith("errors.image.")}
        assert reasons <= keys
        for error in errors:
            template = catalogue(lang)[error.key]
            assert set(re.findall(r"\{(\w+)\}", template)) == set(error.values), (lang, error.reason)
            assert "{" not in text(error.key, lang, **error.values)
