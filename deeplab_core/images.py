"""Decode an uploaded photo, in memory, into an RGB image the models can take.

Uploads come from students' phones and laptops, so anything goes: EXIF-rotated JPEGs, CMYK scans,
16-bit PNG/TIFF, palette GIFs with transparency, or a file that is not an image at all. Every failure
is an `ImageLoadError` (a `LabError`) whose key picks a message in `locales/<lang>/errors.toml`
(`errors.image.<reason>`) and whose `values` fill its placeholders.
"""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from deeplab_core.budget import PhotoShapeError
from deeplab_core.errors import LabError

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


def _to_uint8(values: np.ndarray, *, bits: int | None = None) -> np.ndarray:
    """Scale a one-channel array to 0..255: by its declared bit depth, else by the range its values use."""
    is_float = values.dtype.kind == "f"
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if bits is not None:
        low, white = 0.0, 2.0**bits - 1
    elif is_float and low >= 0 and high <= 1:
        low, white = 0.0, 1.0  # float images in [0, 1]
    elif low >= 0 and high <= 65535:
        low, white = 0.0, (255.0 if high <= 255 else 65535.0)
    else:  # 32-bit or signed data has no standard white: stretch what is there
        white = high
    return np.clip(np.rint((values - low) * (255 / max(white - low, 1e-12))), 0, 255).astype(np.uint8)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB; transparent pixels are composited on white."""
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # Pillow's own I;16/I/F -> L conversion clips at 255 instead of scaling
        gray = _to_uint8(np.asarray(image), bits=16 if mode.startswith("I;16") else None)  # (H, W)
        return Image.fromarray(gray).convert("RGB")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (*WHITE, 255)), rgba).convert("RGB")
    return image if mode == "RGB" else image.convert("RGB")


def fit_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled down, aspect kept, so that neither side exceeds `max_side`."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_image(
    data: bytes, *, max_side: int | None = MAX_SIDE, max_pixels: int = MAX_PIXELS, max_aspect: int | None = None
) -> Image.Image:
    """Decode `data` (JPEG, PNG, WebP, BMP, GIF's first frame, TIFF) into an upright RGB image.

    Images over `max_pixels` are refused before any pixel is decoded, and so are images longer than 1:`max_aspect`
    when it is given (pages pass the networks' limit, deeplab_core.budget: PhotoShapeError); larger sides than
    `max_side` are scaled down, aspect kept (None keeps the full size). Raises ImageLoadError or PhotoShapeError.
    """
    data = bytes(data)
    if not data:
        raise ImageLoadError("empty", "The file is empty.")
    image = _open(data, max_pixels)
    if max_aspect is not None and max(image.size) > max_aspect * min(image.size):
        image.close()  # from the header: a 20000×1 strip is refused before it is decoded
        raise PhotoShapeError(*image.size)
    try:
        image.seek(0)  # animated GIF/WebP/PNG and multi-page TIFF: the first frame
        target = fit_size(image.width, image.height, max_side)
        if image.format in ("JPEG", "MPO") and target != image.size:
            image.draft(None, target)  # libjpeg decodes at 1/2, 1/4 or 1/8 scale, still at least `target`
        image.load()
        upright = ImageOps.exif_transpose(image)  # a new image, decoded and detached from `data`
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise ImageLoadError("truncated", f"The image file is damaged or incomplete: {exc}") from exc
    try:
        rgb = _to_rgb(upright)
    except (OSError, ValueError) as exc:
        raise ImageLoadError(
            "unsupported_mode", f"Images in colour mode {upright.mode} are not supported.", mode=upright.mode
        ) from exc
    size = fit_size(rgb.width, rgb.height, max_side)
    return rgb if size == rgb.size else rgb.resize(size, Image.Resampling.LANCZOS)
