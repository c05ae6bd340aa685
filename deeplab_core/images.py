"""Decode an uploaded photo, in memory, into an RGB image the models can take.

Uploads come from students' phones and laptops, so anything goes: EXIF-rotated JPEGs, CMYK scans,
16-bit PNG/TIFF, palette GIFs with transparency, or a file that is not an image at all. Every failure
is an `ImageLoadError` (a `LabError`) whose key picks a message in `locales/<lang>/errors.toml`
(`errors.image.<reason>`) and whose `values` fill its placeholders.

Memory is bounded from the header (`deeplab_core.decode_budget`): a photo whose decoding would take more than
`config.DECODE_BUDGET_BYTES` is decoded smaller (JPEG) or refused, and the conversion to 8-bit RGB runs one strip
at a time, reduced by a whole factor as it goes, so no full-size converted copy exists beside the decoded image.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from deeplab_core.budget import PhotoShapeError
from deeplab_core.config import DECODE_BUDGET_BYTES
from deeplab_core.decode_budget import MIB, DecodePlan, fit_size, plan, plan_within
from deeplab_core.errors import LabError

__all__ = ["FORMATS", "MAX_PIXELS", "MAX_SIDE", "ImageLoadError", "fit_size", "load_image"]

# Only these decoders run on uploads: fewer plugins, less attack surface (EPS would even start Ghostscript).
FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")  # JPEG also opens MPO (multi-picture)
FORMAT_NAMES = "JPEG, PNG, WebP, BMP, GIF, TIFF"
MAX_PIXELS = 50_000_000  # refused before decoding; stays below Pillow's own bomb threshold
MAX_SIDE = 2048  # larger photos are downscaled: the models gain nothing from more pixels
WHITE = (255, 255, 255)
_SIGNATURES: tuple[bytes, ...] = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")


class ImageLoadError(LabError, ValueError):
    """An upload that cannot be used: `reason` names the problem ("errors.image.<reason>"), `values` fill it."""

    def __init__(self, reason: str, message: str, **values: object) -> None:
        super().__init__(f"errors.image.{reason}", message, **values)


def _looks_like_image(data: bytes) -> bool:
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    bmp = data[:2] == b"BM" and data[6:10] == bytes(4)  # "BM" alone starts too much text; these bytes are reserved
    return data.startswith(_SIGNATURES) or webp or bmp


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only (no pixels decoded) and refuse images with too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:  # beyond Pillow's hard limit, raised while reading the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else 2 * (Image.MAX_IMAGE_PIXELS or max_pixels)
        raise _too_many_pixels(pixels, max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _unidentified(data) from exc
    if image.width * image.height > max_pixels:
        image.close()
        raise _too_many_pixels(image.width * image.height, max_pixels)
    return image


def _too_many_pixels(pixels: int, max_pixels: int) -> ImageLoadError:
    megapixels, limit = round(pixels / 1e6, 1), round(max_pixels / 1e6, 1)
    return ImageLoadError(
        "too_many_pixels",
        f"The image has {megapixels} megapixels, more than the limit of {limit} megapixels.",
        megapixels=megapixels,
        limit=limit,
    )


def _too_much_memory(needed: int, budget: int) -> ImageLoadError:
    needed_mb, limit_mb = math.ceil(needed / MIB), budget // MIB
    return ImageLoadError(
        "too_much_memory",
        f"Decoding the image would take about {needed_mb} MB, more than the limit of {limit_mb} MB per photo.",
        needed=needed_mb,
        limit=limit_mb,
    )


def _unidentified(data: bytes) -> ImageLoadError:
    if _looks_like_image(data):  # a known signature whose header cannot be parsed: cut off early
        return ImageLoadError("truncated", "The image file is damaged or incomplete.")
    try:  # name the format, if Pillow knows it, without decoding anything
        with Image.open(io.BytesIO(data)) as other:
            fmt = other.format or "?"
    except Exception:  # any failure here just means "not an image Pillow can name"
        return ImageLoadError("not_image", f"The file is not an image ({FORMAT_NAMES}).", formats=FORMAT_NAMES)
    return ImageLoadError(
        "unsupported_format", f"{fmt} images are not supported, only {FORMAT_NAMES}.", format=fmt, formats=FORMAT_NAMES
    )


# EXIF orientation -> the transpose that makes the photo upright (as PIL.ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _strips(image: Image.Image, rows: int) -> Iterator[tuple[int, Image.Image]]:
    for top in range(0, image.height, rows):
        yield top, image.crop((0, top, image.width, min(image.height, top + rows)))


def _finite(strip: Image.Image) -> np.ndarray:
    values = np.asarray(strip)  # (rows, W)
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0) if values.dtype.kind == "f" else values


def _gray_range(image: Image.Image, rows: int) -> tuple[float, float]:
    """(black, white) of 16/32-bit or float data: by its declared bit depth, else by the range its values use
    (a first pass over strips, so no full-size copy is made)."""
    if image.mode.startswith("I;16"):
        return 0.0, 65535.0
    low = high = 0.0
    for _, strip in _strips(image, rows):
        values = _finite(strip)
        low, high = min(low, float(values.min(initial=0))), max(high, float(values.max(initial=0)))
    if image.mode == "F" and low >= 0 and high <= 1:
        return 0.0, 1.0  # float images in [0, 1]
    if low >= 0 and high <= 65535:
        return 0.0, (255.0 if high <= 255 else 65535.0)
    return low, high  # 32-bit or signed data has no standard white: stretch what is there


def _gray_to_rgb(black: float, white: float) -> Callable[[Image.Image], Image.Image]:
    """A strip of I;16/I/F to RGB, scaled black..white to 0..255 (Pillow's own conversion clips at 255 instead)."""

    def convert(strip: Image.Image) -> Image.Image:
        values = _finite(strip).astype(np.float64)  # (rows, W), the only float copy: one strip's
        values -= black
        values *= 255 / max(white - black, 1e-12)
        np.clip(np.rint(values, out=values), 0, 255, out=values)
        return Image.fromarray(values.astype(np.uint8)).convert("RGB")

    return convert


def _to_rgb(image: Image.Image) -> Image.Image:
    """An 8-bit mode to RGB; transparent pixels are composited on white."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (*WHITE, 255)), rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _reduced_rgb(image: Image.Image, decode: DecodePlan) -> Image.Image:
    """`image` as RGB, reduced by `decode.factor` (a box filter, as Image.reduce), one strip of rows at a time."""
    factor, rows = decode.factor, decode.strip_rows
    numeric = image.mode.startswith("I;16") or image.mode in ("I", "F")
    convert = _gray_to_rgb(*_gray_range(image, rows)) if numeric else _to_rgb
    canvas = Image.new("RGB", (math.ceil(image.width / factor), math.ceil(image.height / factor)))
    for top, strip in _strips(image, rows):  # strips start on multiples of `factor`: the same boxes as one reduce
        rgb = convert(strip)
        canvas.paste(rgb.reduce(factor) if factor > 1 else rgb, (0, top // factor))
    return canvas


def _decode(data: bytes, image: Image.Image, max_side: int | None, budget: int) -> Image.Image:
    """Decode within `budget`, convert to RGB and resize; the caller's `image` is closed on return."""
    try:
        image.seek(0)  # animated GIF/WebP/PNG and multi-page TIFF: the first frame
        decode = plan_within(image, data, max_side, budget)
        if decode.peak_bytes > budget:
            raise _too_much_memory(decode.peak_bytes, budget)
        if decode.scale > 1:  # libjpeg decodes at 1/2, 1/4 or 1/8 scale
            image.draft(None, (image.width // decode.scale, image.height // decode.scale))
            if image.size != decode.decoded:  # the decoder took no scale after all: decode at full size, or refuse
                decode = plan(image, data, max_side)
                if decode.peak_bytes > budget:
                    raise _too_much_memory(decode.peak_bytes, budget)
        image.load()
        upright = _UPRIGHT.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError) as exc:  # (TypeError: an odd tag)
        raise ImageLoadError("truncated", f"The image file is damaged or incomplete: {exc}") from exc
    try:
        rgb = image if decode.direct else _reduced_rgb(image, decode)
    except (OSError, ValueError) as exc:
        raise ImageLoadError(
            "unsupported_mode", f"Images in colour mode {image.mode} are not supported.", mode=image.mode
        ) from exc
    if rgb is not image:
        image.close()  # the canvas holds everything now: free the decoded pixels before resizing
    if rgb.size != decode.target:
        rgb = rgb.resize(decode.target, Image.Resampling.LANCZOS)
    elif rgb is image and upright is None:
        rgb = image.copy()  # detached from the file and its decoder, which close() releases
    return rgb if upright is None else rgb.transpose(upright)


def load_image(
    data: bytes,
    *,
    max_side: int | None = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    max_aspect: int | None = None,
    budget_bytes: int = DECODE_BUDGET_BYTES,
) -> Image.Image:
    """Decode `data` (JPEG, PNG, WebP, BMP, GIF's first frame, TIFF) into an upright RGB image.

    Images over `max_pixels` are refused before any pixel is decoded, and so are images longer than 1:`max_aspect`
    when it is given (pages pass the networks' limit, deeplab_core.budget: PhotoShapeError), and images whose
    decoding would take more than `budget_bytes` (a JPEG is decoded at a smaller scale first, when that fits).
    Larger sides than `max_side` are scaled down, aspect kept (None keeps the full size). Raises ImageLoadError or
    PhotoShapeError.
    """
    data = bytes(data)
    if not data:
        raise ImageLoadError("empty", "The file is empty.")
    image = _open(data, max_pixels)
    if max_aspect is not None and max(image.size) > max_aspect * min(image.size):
        image.close()  # from the header: a 20000×1 strip is refused before it is decoded
        raise PhotoShapeError(*image.size)
    try:
        return _decode(data, image, max_side, budget_bytes)
    finally:
        image.close()  # frees the decoded pixels now; the decoder's own buffers go with `image` on return
