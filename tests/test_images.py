"""deeplab_core.images: every format and colour mode decodes to the right upright RGB pixels.

Hostile files (bombs, damaged or foreign files) are in test_images_hostile.py, the memory budget in
test_decode_budget.py."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from deeplab_core.images import load_image
from tests.image_support import BLUE, GREEN, RED, WHITE, corner_image, encode, pixels, raw_png

# --- formats and colour modes --------------------------------------------------------------------------


def pattern() -> Image.Image:
    """Four flat colours in quadrants: exact through every lossless format, even a palette one."""
    image = Image.new("RGB", (32, 24), RED)
    image.paste(GREEN, (16, 0, 32, 12))
    image.paste(BLUE, (0, 12, 16, 24))
    image.paste(WHITE, (16, 12, 32, 24))
    return image


@pytest.mark.parametrize(
    ("fmt", "params", "tolerance"),
    [
        ("PNG", {}, 0),
        ("BMP", {}, 0),
        ("GIF", {}, 0),
        ("TIFF", {}, 0),
        ("TIFF", {"compression": "tiff_lzw"}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("WEBP", {"quality": 90}, 12),
        ("JPEG", {"quality": 95}, 12),
    ],
)
def test_every_format_decodes_to_the_same_colours(fmt: str, params: dict, tolerance: int) -> None:
    loaded = load_image(encode(pattern(), fmt, **params))
    assert loaded.size == (32, 24)
    # sample the centre of each quadrant
    for (x, y), colour in {(8, 6): RED, (24, 6): GREEN, (8, 18): BLUE, (24, 18): WHITE}.items():
        assert np.abs(pixels(loaded)[y, x] - colour).max() <= tolerance, (fmt, colour)


def test_accepts_bytearray_and_memoryview() -> None:
    data = encode(pattern(), "PNG")
    assert np.array_equal(pixels(load_image(bytearray(data))), pixels(load_image(memoryview(data))))


def test_one_bit_and_grayscale() -> None:
    one_bit = Image.new("1", (4, 2), 0)
    one_bit.putpixel((1, 0), 1)
    assert pixels(load_image(encode(one_bit, "PNG")))[0, :2].tolist() == [[0, 0, 0], [255, 255, 255]]
    gray = Image.fromarray(np.array([[0, 77, 200]], dtype=np.uint8))  # mode L
    assert pixels(load_image(encode(gray, "PNG")))[0].tolist() == [[0] * 3, [77] * 3, [200] * 3]


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_grayscale_is_scaled_not_clipped(fmt: str) -> None:
    levels = np.arange(256, dtype=np.uint16)
    values = np.concatenate([levels * 257, [1000, 32768]]).astype(np.uint16)[None, :]  # (1, 258)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    out = pixels(load_image(encode(image, fmt)))[0, :, 0]
    assert out[:256].tolist() == levels.tolist()  # v * 257 is exactly 8-bit level v
    assert out[256:].tolist() == [4, 128]  # round(1000 / 257), round(32768 / 257): Pillow alone would give 255


def test_sixteen_bit_rgb_png() -> None:
    colours = [(0, 128, 255), (255, 0, 17)]
    row = b"\x00" + b"".join(struct.pack(">HHH", *(257 * c for c in colour)) for colour in colours)
    loaded = load_image(raw_png(2, 1, 16, 2, row))
    assert pixels(loaded)[0].tolist() == [list(c) for c in colours]


def test_int32_and_float_tiffs() -> None:
    sixteen = Image.fromarray(np.array([[0, 257 * 100, 65535]], dtype=np.int32))  # mode I, 16-bit range
    assert pixels(load_image(encode(sixteen, "TIFF")))[0, :, 0].tolist() == [0, 100, 255]
    eight = Image.fromarray(np.array([[0, 100, 255]], dtype=np.int32))  # mode I, 8-bit range: kept
    assert pixels(load_image(encode(eight, "TIFF")))[0, :, 0].tolist() == [0, 100, 255]
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))  # mode F in [0, 1]
    assert pixels(load_image(encode(unit, "TIFF")))[0, :, 0].tolist() == [0, 128, 255]
    signed = Image.fromarray(np.array([[-1000, 0, 1000]], dtype=np.int32))  # no standard white: stretched
    assert pixels(load_image(encode(signed, "TIFF")))[0, :, 0].tolist() == [0, 128, 255]


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])  # a CMYK JPEG from Pillow is Adobe-style inverted
def test_cmyk(fmt: str) -> None:
    image = Image.new("CMYK", (16, 16), (255, 0, 0, 0))  # pure cyan
    image.paste((0, 0, 0, 255), (8, 0, 16, 16))  # pure black
    if fmt == "JPEG":
        assert Image.open(io.BytesIO(encode(image, fmt))).info.get("adobe") is not None
    out = pixels(load_image(encode(image, fmt)))
    assert np.abs(out[8, 3] - (0, 255, 255)).max() <= 3
    assert np.abs(out[8, 12] - (0, 0, 0)).max() <= 3


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_half_transparent_red_on_white_is_pink(fmt: str) -> None:
    image = Image.new("RGBA", (4, 4), (255, 0, 0, 128))
    image.putpixel((0, 0), (0, 0, 255, 0))  # fully transparent blue: white
    out = pixels(load_image(encode(image, fmt, **({"lossless": True} if fmt == "WEBP" else {}))))
    assert np.abs(out[2, 2] - (255, 127, 127)).max() <= 1
    assert out[0, 0].tolist() == list(WHITE)


def test_gray_with_alpha_is_composited_on_white() -> None:
    image = Image.new("LA", (2, 1), (100, 255))
    image.putpixel((1, 0), (0, 0))
    assert pixels(load_image(encode(image, "PNG")))[0].tolist() == [[100] * 3, list(WHITE)]


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency(fmt: str) -> None:
    image = Image.new("P", (2, 2), 0)
    image.putpalette([*RED, *BLUE] + [0] * 762)
    image.putpixel((1, 1), 1)
    out = pixels(load_image(encode(image, fmt, transparency=1)))
    assert out[0, 0].tolist() == list(RED)
    assert out[1, 1].tolist() == list(WHITE)  # the transparent index shows the white page, not blue


def test_rgb_png_with_a_transparent_colour() -> None:
    image = Image.new("RGB", (2, 1), RED)
    image.putpixel((1, 0), BLUE)
    out = pixels(load_image(encode(image, "PNG", transparency=BLUE)))  # tRNS: this one colour is transparent
    assert out[0].tolist() == [list(RED), list(WHITE)]


@pytest.mark.parametrize(("fmt", "params"), [("GIF", {}), ("PNG", {}), ("WEBP", {"lossless": True})])
def test_animation_gives_the_first_frame(fmt: str, params: dict) -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **params)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert pixels(load_image(data))[4, 4].tolist() == list(RED)


def test_multipage_tiff_gives_the_first_page() -> None:
    pages = [Image.new("RGB", (8, 8), GREEN), Image.new("RGB", (16, 4), BLUE)]
    loaded = load_image(encode(pages[0], "TIFF", save_all=True, append_images=pages[1:]))
    assert loaded.size == (8, 8) and pixels(loaded)[4, 4].tolist() == list(GREEN)


# --- EXIF orientation ----------------------------------------------------------------------------------

# orientation tag -> how the stored pixels are turned to be upright (numpy), and where the red corner lands
ORIENTATIONS = {
    1: (lambda a: a, "top-left"),
    2: (lambda a: a[:, ::-1], "top-right"),
    3: (lambda a: np.rot90(a, 2), "bottom-right"),
    6: (lambda a: np.rot90(a, -1), "top-right"),  # camera held turned right: rotate 90° clockwise
    8: (lambda a: np.rot90(a, 1), "bottom-left"),  # rotate 90° counter-clockwise
}


def red_corner(image: Image.Image) -> str:
    out = pixels(image)
    h, w = out.shape[:2]
    corners = {
        "top-left": out[2, 2],
        "top-right": out[2, w - 3],
        "bottom-left": out[h - 3, 2],
        "bottom-right": out[h - 3, w - 3],
    }
    red = [name for name, value in corners.items() if np.abs(value - RED).max() <= 40]
    assert len(red) == 1, corners
    return red[0]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_exif_orientation_is_applied(fmt: str, orientation: int) -> None:
    stored = corner_image()
    exif = Image.Exif()
    exif[0x0112] = orientation
    params = {"quality": 95, "subsampling": 0} if fmt == "JPEG" else {"lossless": True} if fmt == "WEBP" else {}
    loaded = load_image(encode(stored, fmt, exif=exif, **params))
    turn, corner = ORIENTATIONS[orientation]
    expected = turn(np.asarray(stored).astype(int))
    assert loaded.size == (expected.shape[1], expected.shape[0])  # 6 and 8: 20 wide, 40 tall
    assert red_corner(loaded) == corner
    assert np.abs(pixels(loaded) - expected).max() <= (40 if fmt == "JPEG" else 0)


# --- property: random images round-trip ----------------------------------------------------------------


def composite_on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None] / 255
    return np.rint(rgb * a + 255 * (1 - a)).astype(int)


LOSSLESS = {
    "1": ["PNG", "BMP", "TIFF"],
    "L": ["PNG", "BMP", "TIFF", "WEBP"],
    "LA": ["PNG", "TIFF"],
    "RGB": ["PNG", "BMP", "TIFF", "WEBP"],
    "RGBA": ["PNG", "TIFF", "WEBP"],
    "I;16": ["PNG", "TIFF"],
}


@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(sorted(LOSSLESS)),
    width=st.integers(1, 48),
    height=st.integers(1, 48),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_random_images_round_trip(mode: str, width: int, height: int, seed: int, data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(LOSSLESS[mode]), label="format")
    rng = np.random.default_rng(seed)
    channels = {"1": 1, "L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 1}[mode]
    if mode == "I;16":
        raw = rng.integers(0, 65536, (height, width), dtype=np.uint16)
        image = Image.fromarray(raw)
        expected = np.repeat(np.rint(raw / 257).astype(int)[..., None], 3, axis=2)
    else:
        raw = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        if mode == "1":
            raw = (raw > 127).astype(np.uint8) * 255
        image = Image.fromarray(raw[..., 0] if channels == 1 else raw).convert(mode)
        colour = np.repeat(raw[..., :1], 3, axis=2) if channels <= 2 else raw[..., :3]
        alpha = raw[..., -1] if channels in (2, 4) else np.full((height, width), 255)
        expected = composite_on_white(colour.astype(int), alpha.astype(int))
    params = {"lossless": True, "exact": True} if fmt == "WEBP" else {}
    loaded = load_image(encode(image, fmt, **params))
    assert loaded.mode == "RGB" and loaded.size == (width, height)
    assert np.abs(pixels(loaded) - expected).max() <= (1 if channels in (2, 4) else 0)
