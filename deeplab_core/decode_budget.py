"""How many bytes decoding a photo takes, read from its header before a single pixel is decoded.

A megapixel cap alone does not bound memory: at the same 49 megapixels an 8-bit palette GIF decodes into 47 MiB, a
float32 TIFF into 187 MiB, and some decoders hold as much again beside the image. `Image.open` reads only the
header (size, mode, bit depth, bands, strips or tiles, scans), so the cost is known before anything is allocated,
and `deeplab_core.images.load_image` refuses, or decodes a JPEG at 1/2, 1/4 or 1/8 scale, when it would exceed
`config.DECODE_BUDGET_BYTES`.

The estimate is the largest of three moments of `load_image`, each term measured as the process's RSS growth
(docs/BENCHMARKS.md, "Decoding budget"):

- **decode**: Pillow's image (1 byte per pixel for 1/L/P, 2 for I;16, 4 for every other mode: RGB is stored as
  RGBX and LA as L--A) and what the decoder holds beside it: libtiff's buffer for one strip or tile; libjpeg's
  coefficients of the whole image when a JPEG has several scans (progressive), at full size whatever the scale;
  libwebp's canvas and disposed-frame copy (8 bytes per pixel, as long as the image object lives) and Pillow's
  bytes copy of the frame (4, while decoding); the Python RLE decoder's bytearray and its copy for BMP.
  Only the first frame of a GIF, WebP, APNG or TIFF is decoded, so the number of frames costs nothing; a GIF's
  first frame fills its whole logical screen, which is the size Pillow reports.
- **convert**: the decoded image, an RGB canvas reduced by a whole factor, and one strip's temporaries (16- and
  32-bit data go through float64 one strip at a time, so no full-size float copy ever exists).
- **finish**: the canvas, Lanczos's intermediate and result, and the EXIF-turned copy of the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageFile

MIB = 1 << 20
STRIP_BYTES = 2 * MIB  # one strip as float64 (8 bytes per pixel); it sets the strip height
STRIP_TEMPORARIES = 5  # a strip's temporaries alive at once, in STRIP_BYTES (measured: 9 MiB for float strips)
FIXED_BYTES = 8 * MIB  # the decoders' own state and buffers (zlib, libtiff, libjpeg rows): measured 3-6 MiB
WEBP_DECODER_BYTES = 12  # per pixel beside the image while decoding: libwebp's canvas and disposed frame, a bytes copy
WEBP_KEPT_BYTES = 8  # per pixel, still held after decoding: libwebp's two canvases live as long as the image object
BMP_RLE_BYTES = 2  # per pixel beside the image while decoding: the Python RLE decoder's bytearray and its bytes copy
JPEG_COEFFICIENT_BYTES = 2  # one int16 DCT coefficient per sample, kept for the whole image between scans
SCALES = (1, 2, 4, 8)  # libjpeg's DCT scaling


@dataclass(frozen=True)
class DecodePlan:
    """How one photo is decoded: at `decoded` (the file's size / `scale`); unless `direct` (an RGB image resized as
    it is), converted to RGB `strip_rows` rows at a time, each strip box-reduced by `factor` into a canvas; then
    resized to `target` (before EXIF rotation). `peak_bytes`: the estimated memory growth."""

    decoded: tuple[int, int]
    scale: int
    factor: int
    direct: bool
    strip_rows: int
    target: tuple[int, int]
    peak_bytes: int


def storage_bytes(mode: str) -> int:
    """Bytes per pixel of Pillow's storage for `mode`."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def fit_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled down, aspect kept, so that neither side exceeds `max_side`."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def strip_rows(width: int, factor: int) -> int:
    """Rows per strip: about STRIP_BYTES of float64, a whole multiple of the box factor so strips reduce exactly."""
    rows = max(1, STRIP_BYTES // (8 * width))
    return max(factor, rows - rows % factor)


def _jpeg_scans_held(image: Image.Image, data: bytes) -> bool:
    """Whether libjpeg keeps every coefficient (several scans): progressive, or a first scan without all colours."""
    if image.info.get("progressive"):
        return True
    pos = 2  # walk the marker segments after SOI up to the first SOS (start of scan)
    while pos + 4 < len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:
            return data[pos + 4] < len(getattr(image, "layer", ()))
        if marker == 0xFF:  # fill byte
            pos += 1
        elif 0xD0 <= marker <= 0xD8 or marker == 0x01:  # markers without a segment
            pos += 2
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return True  # no scan where one should be: assume the costly case


def _jpeg_coefficients(image: Image.Image) -> int:
    """Bytes of libjpeg's whole-image coefficient arrays: per colour, its 8×8 blocks rounded up to whole MCUs."""
    layers = getattr(image, "layer", [])  # (id, horizontal sampling, vertical sampling, table) per colour
    h_max = max((layer[1] for layer in layers), default=1)
    v_max = max((layer[2] for layer in layers), default=1)
    total = 0
    for _, h, v, _ in layers:
        across = math.ceil(math.ceil(image.width * h / h_max) / 8)
        down = math.ceil(math.ceil(image.height * v / v_max) / 8)
        total += (across + -across % h) * (down + -down % v) * 64 * JPEG_COEFFICIENT_BYTES
    return total


def _tiff_block(image: Image.Image) -> int:
    """Bytes of libtiff's buffer for one strip or tile, as the file stores it (YCbCr is read as RGBA)."""
    if not getattr(image, "use_load_libtiff", True):  # uncompressed: Pillow reads it in 64 kB pieces
        return 0
    tags = getattr(image, "tag_v2", {})
    bits = tags.get(258, (1,))
    bits = [int(b) for b in (bits if isinstance(bits, tuple) else (bits,))] or [1]
    planar = tags.get(284, 1) == 2
    bits_per_pixel = max(bits) if planar else sum(bits) * max(1, int(tags.get(277, 1))) // len(bits)
    if 322 in tags and 323 in tags:  # tiled
        pixels = int(tags[322]) * int(tags[323])
    else:
        pixels = image.width * min(image.height, max(1, int(tags.get(278, image.height))))
    bytes_per_pixel = math.ceil(bits_per_pixel / 8)
    return pixels * (max(bytes_per_pixel, 4) if tags.get(262) == 6 else bytes_per_pixel)


def decoder_bytes(image: Image.Image, data: bytes) -> tuple[int, int]:
    """What the decoder holds beside the image: (while decoding, still after decoding)."""
    pixels = image.width * image.height  # the file's full size, whatever the scale
    if image.format == "WEBP":
        return pixels * WEBP_DECODER_BYTES, pixels * WEBP_KEPT_BYTES
    if image.format == "TIFF":
        return _tiff_block(image), 0
    tiles = image.tile if isinstance(image, ImageFile.ImageFile) else []
    if image.format == "BMP" and tiles and tiles[0][0] == "bmp_rle":
        return pixels * BMP_RLE_BYTES, 0
    if image.format in ("JPEG", "MPO") and _jpeg_scans_held(image, data):
        return _jpeg_coefficients(image), 0
    return 0, 0


def plan(image: Image.Image, data: bytes, max_side: int | None, scale: int = 1) -> DecodePlan:
    """The decode of `image` (opened, not loaded) at 1/`scale` of its size, and its estimated peak memory growth."""
    width, height = math.ceil(image.width / scale), math.ceil(image.height / scale)
    target = fit_size(width, height, max_side)
    factor = max(1, min(width // target[0], height // target[1]))
    direct = factor == 1 and image.mode == "RGB" and not image.has_transparency_data  # (a PNG's tRNS colour)
    rows = height if direct else strip_rows(width, factor)
    source = (width, height) if direct else (math.ceil(width / factor), math.ceil(height / factor))
    decoded = width * height * storage_bytes(image.mode)
    during, after = decoder_bytes(image, data)
    result = target[0] * target[1] * 4
    # Lanczos holds one pass (target width × source height) beside its result; an EXIF-turned copy follows (counted
    # whatever the orientation, which is only known once decoded)
    resize = target[0] * source[1] * 4 + result if target != source else result
    if direct:  # the decoded image is resized, then turned
        convert, finish = decoded + after + resize, after + 2 * result
    else:  # strips into the canvas; the decoded image is closed before the canvas is resized and turned
        canvas = source[0] * source[1] * 4
        convert = decoded + after + canvas + STRIP_TEMPORARIES * max(STRIP_BYTES, rows * width * 8)
        finish = after + max(canvas + resize, 2 * result)
    peak = FIXED_BYTES + max(decoded + during, convert, finish)
    return DecodePlan((width, height), scale, factor, direct, rows, target, peak)


def plan_within(image: Image.Image, data: bytes, max_side: int | None, budget: int) -> DecodePlan:
    """The sharpest decode within `budget`. A JPEG starts at the coarsest scale that still covers the target (as
    Pillow's `draft` picks it) and goes on down to 1/8 while over budget; other formats have one size. When nothing
    fits, the cheapest plan (which the caller refuses)."""
    first = plan(image, data, max_side)
    if image.format not in ("JPEG", "MPO"):
        return first
    cover = max(s for s in SCALES if s <= min(image.width // first.target[0], image.height // first.target[1]))
    plans = [plan(image, data, max_side, s) for s in SCALES if s >= cover and min(image.size) >= s]
    return next((p for p in plans if p.peak_bytes <= budget), min(plans, key=lambda p: p.peak_bytes))
