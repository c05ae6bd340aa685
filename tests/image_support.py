"""Image files for the decoding tests: encoded by Pillow, or written by hand so that a header can say anything.

The hand-written ones cost almost nothing to build whatever size they declare: a PNG's identical rows go through one
streaming deflate, a TIFF's strips (or tiles) all point at one compressed block of zeros, a GIF's logical screen is
just two numbers in its header.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def pixels(image: Image.Image) -> np.ndarray:
    assert image.mode == "RGB"
    return np.asarray(image).astype(int)  # (H, W, 3)


def corner_image() -> Image.Image:
    """40 wide, 20 tall, blue, with a red 10x10 block in the top-left corner."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 10, 10))
    return image


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def raw_png(width: int, height: int, bit_depth: int, colour_type: int, scanlines: bytes) -> bytes:
    """A PNG written by hand, so the header can say anything (16-bit RGB, or a size no one could decode)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(scanlines))
        + png_chunk(b"IEND", b"")
    )


def flat_png(
    width: int, height: int, bit_depth: int, colour_type: int, *, palette: bytes = b"", alpha: bytes = b""
) -> bytes:
    """A PNG of zeros (black, or palette index 0) of any size, deflated as a stream of identical rows."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    rows = bytes(1 + -(-width * channels * bit_depth // 8)) * 64  # filter byte 0 + the row, 64 rows per call
    deflate = zlib.compressobj(1)
    body = [deflate.compress(rows) for _ in range(height // 64)]
    body += [deflate.compress(rows[: len(rows) // 64 * (height % 64)]), deflate.flush()]
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    extra = (png_chunk(b"PLTE", palette) if palette else b"") + (png_chunk(b"tRNS", alpha) if alpha else b"")
    idat = png_chunk(b"IDAT", b"".join(body))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + extra + idat + png_chunk(b"IEND", b"")


def flat_tiff(
    width: int,
    height: int,
    *,
    bits: tuple[int, ...] = (32,),
    sample_format: int = 3,
    photometric: int = 1,
    rows: int = 64,
    tile: tuple[int, int] | None = None,
) -> bytes:
    """A little-endian TIFF of zeros whose strips of `rows` rows (or tiles of `tile`) all point at one deflated block.

    sample_format 1 = unsigned, 2 = signed, 3 = float; photometric 1 = grey, 2 = RGB."""
    bytes_per_pixel = sum(bits) // 8
    across, down = tile if tile else (width, min(rows, height))
    block = zlib.compress(bytes(across * down * bytes_per_pixel), 1)
    count = -(-width // across) * -(-height // down)
    tags: list[tuple[int, int, list[int] | None]] = [  # (tag, type: 3 short / 4 long, values; None = the offsets)
        (256, 4, [width]),
        (257, 4, [height]),
        (258, 3, list(bits)),
        (259, 3, [8]),  # deflate
        (262, 3, [photometric]),
        (277, 3, [len(bits)]),
        (339, 3, [sample_format] * len(bits)),
    ]
    if tile:
        tags += [(322, 4, [across]), (323, 4, [down]), (324, 4, None), (325, 4, [len(block)] * count)]
    else:
        tags += [(273, 4, None), (278, 4, [rows]), (279, 4, [len(block)] * count)]
    tags.sort(key=lambda tag: tag[0])
    counts = [count if values is None else len(values) for _, _, values in tags]
    sizes = [n * (4 if kind == 4 else 2) for (_, kind, _), n in zip(tags, counts, strict=True)]
    outside = 8 + 2 + 12 * len(tags) + 4  # values longer than 4 bytes go after the directory, then the block
    block_at = outside + sum(size for size in sizes if size > 4)
    directory, values_out = struct.pack("<H", len(tags)), b""
    for tag, kind, values in tags:
        numbers = values if values is not None else [block_at] * count
        raw = struct.pack(f"<{len(numbers)}{'I' if kind == 4 else 'H'}", *numbers)
        if len(raw) > 4:
            directory += struct.pack("<HHII", tag, kind, len(numbers), outside + len(values_out))
            values_out += raw
        else:
            directory += struct.pack("<HHI", tag, kind, len(numbers)) + raw.ljust(4, b"\0")
    return b"II*\x00" + struct.pack("<I", 8) + directory + struct.pack("<I", 0) + values_out + block


def gif_screen(width: int, height: int, frames: int) -> bytes:
    """An animated GIF of `frames` one-pixel frames on a logical screen of width × height: a few bytes per frame."""
    out = b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF0, 0, 0) + bytes((0, 0, 0, 255, 0, 0))  # 2 colours
    out += b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for i in range(frames):
        out += b"!\xf9\x04\x05\x05\x00\x00\x00"  # graphic control: keep the frame, colour 0 transparent, 50 ms
        out += b"," + struct.pack("<HHHHB", i % 100, i % 100, 1, 1, 0)  # a 1×1 frame
        out += b"\x02\x02\x44\x01\x00"  # LZW, minimum code size 2: one pixel of colour 1
    return out + b";"


def rle8_bmp(width: int, height: int) -> bytes:
    """An 8-bit run-length-encoded BMP (Pillow decodes these in Python): every row runs of colour 1."""
    row = b"\xff\x01" * (width // 255) + bytes((width % 255, 1)) + b"\x00\x00"  # runs of 255, the rest, end of line
    body = row * height + b"\x00\x01"  # end of bitmap
    palette = b"".join(struct.pack("<BBBB", i, i, i, 0) for i in range(256))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(body), 2835, 2835, 256, 0)
    return header + info + palette + body
