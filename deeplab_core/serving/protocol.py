"""The inference service's wire format: a JSON header and named binary parts, never a pickled object.

A request carries the photo as encoded bytes (PNG from the web server, lossless, so the service decodes the very
pixels the page holds) and the settings; a reply carries the labels (uint8, or int16 beyond 256 classes) and the
top-1 confidence (float16) at the photo's size, each zlib-compressed, and the service's timings. Both directions
use one frame:

    4 bytes: header length n (big-endian) | n bytes: JSON header | the parts, back to back

The header names each part with its byte length, and, for an array, its dtype (from a short allow-list) and shape;
a part is decompressed to at most the size its shape implies, so a reply cannot inflate into gigabytes. A client
may be any program that writes this frame: the service trusts nothing in it (the photo goes through the same
decoder as an upload, and the settings through the same checks as the page's).
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass

import numpy as np

MAX_HEADER = 64 * 1024
MAX_REQUEST = 64 * 2**20  # a photo's bytes; the app's own uploads are capped well below this
DTYPES = ("uint8", "int16", "float16")  # the only array types a frame may carry
LEVEL = 1  # zlib: labels shrink ~20x even at the fastest level, and speed matters more than the last bytes


class ProtocolError(ValueError):
    """A frame that does not follow the format (answered with HTTP 400, never a traceback)."""


@dataclass(frozen=True)
class Frame:
    header: dict[str, object]
    parts: dict[str, bytes]


def pack(header: dict[str, object], parts: dict[str, bytes]) -> bytes:
    """One frame: the header gains a "parts" list of (name, length) in the order the bytes follow."""
    meta = dict(header, parts=[[name, len(data)] for name, data in parts.items()])
    encoded = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    if len(encoded) > MAX_HEADER:
        raise ProtocolError("header too long")
    return len(encoded).to_bytes(4, "big") + encoded + b"".join(parts.values())


def unpack(data: bytes) -> Frame:
    if len(data) < 4:
        raise ProtocolError("frame shorter than its length field")
    size = int.from_bytes(data[:4], "big")
    if size > MAX_HEADER or 4 + size > len(data):
        raise ProtocolError("header length out of range")
    try:
        header = json.loads(data[4 : 4 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError("header is not JSON") from exc
    if not isinstance(header, dict) or not isinstance(header.get("parts"), list):
        raise ProtocolError("header without its parts")
    parts: dict[str, bytes] = {}
    offset = 4 + size
    for entry in header.pop("parts"):
        if not (
            isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], int)
        ):
            raise ProtocolError("malformed part entry")
        name, length = entry
        if length < 0 or offset + length > len(data):
            raise ProtocolError(f"part {name!r} runs past the frame")
        parts[name] = data[offset : offset + length]
        offset += length
    if offset != len(data):
        raise ProtocolError("bytes after the last part")
    return Frame(header, parts)


def encode_array(array: np.ndarray) -> tuple[dict[str, object], bytes]:
    """(description for the header, compressed bytes) of an array of an allowed dtype."""
    if array.dtype.name not in DTYPES:
        raise ProtocolError(f"dtype {array.dtype.name} is not allowed on the wire")
    data = np.ascontiguousarray(array).tobytes()
    return {"dtype": array.dtype.name, "shape": list(array.shape)}, zlib.compress(data, LEVEL)


def decode_array(description: object, data: bytes) -> np.ndarray:
    """The array a part holds; ProtocolError for a foreign dtype, a bad shape or a size that does not match."""
    if not isinstance(description, dict) or description.get("dtype") not in DTYPES:
        raise ProtocolError("array of an unknown dtype")
    shape = description.get("shape")
    if not (isinstance(shape, list) and all(isinstance(n, int) and 0 <= n <= 1 << 16 for n in shape)):
        raise ProtocolError("array of a bad shape")
    dtype = np.dtype(str(description["dtype"]))
    expected = math.prod(shape) * dtype.itemsize
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, expected)  # never more than the shape implies
    except zlib.error as exc:
        raise ProtocolError("corrupt array data") from exc
    if len(raw) != expected or inflater.unconsumed_tail:
        raise ProtocolError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def label_dtype(classes: int) -> np.dtype:
    """The smallest integer type on the wire that holds every class index."""
    return np.dtype(np.uint8) if classes <= 256 else np.dtype(np.int16)
