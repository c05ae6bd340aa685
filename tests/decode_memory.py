"""Peak memory growth of `load_image` on large files, one case at a time: `python -m tests.decode_memory FOLDER`.

Why the process's RSS and not tracemalloc: Pillow allocates its pixels in C (its block allocator calls malloc
directly), and so do libjpeg, libtiff, libwebp and zlib; tracemalloc only sees Python's allocator, so a 187 MiB
float image shows up as a few kB (tests/test_decode_budget.py checks that). RSS counts every page the process
touches, whoever allocated it.

How: this process imports Pillow, numpy and deeplab_core.images and decodes nothing itself. Each file is built in a
forked child and cached in FOLDER (building allocates; a child's memory goes back to the system when it exits). Each
case is decoded in its own forked child, so no case inherits another's freed-but-kept heap: the child resets its
peak (writing 5 to /proc/self/clear_refs, Linux ≥ 4.0), reads VmRSS, decodes, and reports VmHWM − VmRSS (MiB).
Prints one JSON object: {case: {growth, estimate, outcome, scale, size, seconds}}, or {"unsupported": why}.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from deeplab_core.config import DECODE_BUDGET_BYTES
from deeplab_core.decode_budget import MIB, plan_within
from deeplab_core.images import MAX_SIDE, ImageLoadError, load_image
from tests.image_support import encode, flat_png, flat_tiff, gif_screen, rle8_bmp

N = 7000  # 49 megapixels: the largest square under the 50-megapixel cap


def _jpeg(size: tuple[int, int], mode: str, **params: object) -> Callable[[], bytes]:
    return lambda: encode(Image.new(mode, size, (10, 100, 200, 30)[: len(mode)]), "JPEG", **params)


def _webp(size: tuple[int, int], mode: str) -> Callable[[], bytes]:
    return lambda: encode(Image.new(mode, size, (10, 100, 200, 128)[: len(mode)]), "WEBP", lossless=True)


# case -> (how to build the file, what load_image should do: "decoded", "reduced" (JPEG at a smaller scale), "refused")
CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "TIFF float32 7000x7000": (lambda: flat_tiff(N, N), "decoded"),
    "TIFF int32 7000x7000": (lambda: flat_tiff(N, N, sample_format=2), "decoded"),
    "TIFF 16-bit RGB 7000x7000": (
        lambda: flat_tiff(N, N, bits=(16, 16, 16), sample_format=1, photometric=2),
        "decoded",
    ),
    "TIFF float32 one strip 7000x7000": (lambda: flat_tiff(N, N, rows=N), "refused"),
    "TIFF float32 one strip 5300x5300": (lambda: flat_tiff(5300, 5300, rows=5300), "decoded"),
    "TIFF float32 one tile 7008x7008": (lambda: flat_tiff(N, N, tile=(7008, 7008)), "refused"),
    "PNG 16-bit grey 7000x7000": (lambda: flat_png(N, N, 16, 0), "decoded"),
    "PNG RGBA 7000x7000": (lambda: flat_png(N, N, 8, 6), "decoded"),
    "PNG palette, transparent 7000x7000": (lambda: flat_png(N, N, 8, 3, palette=bytes(768), alpha=b"\0"), "decoded"),
    "GIF 500 frames on a 7000x7000 screen": (lambda: gif_screen(N, N, 500), "decoded"),
    "BMP RLE8 7000x7000": (lambda: rle8_bmp(N, N), "decoded"),
    "WebP RGBA 16000x3000": (_webp((16000, 3000), "RGBA"), "refused"),
    "WebP RGBA 4400x3300": (_webp((4400, 3300), "RGBA"), "decoded"),
    "WebP RGB 4032x3024 (a phone photo)": (_webp((4032, 3024), "RGB"), "decoded"),
    "JPEG CMYK 7000x7000": (_jpeg((N, N), "CMYK"), "reduced"),
    "JPEG progressive 4:4:4 7000x7000": (_jpeg((N, N), "RGB", progressive=True, subsampling=0), "refused"),
    "JPEG progressive 4:4:4 7000x5500": (_jpeg((N, 5500), "RGB", progressive=True, subsampling=0), "reduced"),
}


def _status(field: str) -> int:
    """A VmRSS / VmHWM line of /proc/self/status, in kB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def _in_child(work: Callable[[], object]) -> object:
    """Run `work` in a forked child and return what it returns (JSON through a pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        os.close(read)
        try:
            answer = json.dumps(work()).encode()
        except BaseException as exc:  # the parent reports it
            answer = json.dumps({"error": repr(exc)}).encode()
        with os.fdopen(write, "wb") as pipe:
            pipe.write(answer)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(answer)


def measure(data: bytes, decode: Callable[[bytes], Image.Image] = load_image) -> dict[str, object]:
    """Peak RSS growth of `decode(data)` in a fresh child, with the budget's estimate and the outcome."""

    def work() -> dict[str, object]:
        with Image.open(io.BytesIO(data)) as header:
            plan = plan_within(header, data, MAX_SIDE, DECODE_BUDGET_BYTES)  # what load_image will choose
        before = _status("VmRSS:")
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak (VmHWM) to the current RSS
        start = time.perf_counter()
        try:
            size, outcome = decode(data).size, "decoded"
        except ImageLoadError as exc:
            size, outcome = None, exc.reason
        seconds = time.perf_counter() - start
        growth = (_status("VmHWM:") - before) / 1024
        estimate = plan.peak_bytes / MIB
        return dict(growth=growth, estimate=estimate, outcome=outcome, scale=plan.scale, size=size, seconds=seconds)

    return _in_child(work)  # type: ignore[return-value]


def measure_all(folder: Path, decode: Callable[[bytes], Image.Image] = load_image) -> dict[str, object]:
    if not os.access("/proc/self/clear_refs", os.W_OK):
        return {"unsupported": "needs Linux's /proc/self/clear_refs to reset the peak RSS"}
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {}
    for case, (build, _) in CASES.items():
        path = folder / f"{''.join(c if c.isalnum() else '_' for c in case)}.bin"
        if not path.exists():  # built in a child: building allocates, and this process must stay clean
            _in_child(lambda build=build, path=path: path.write_bytes(build()) and None)
        results[case] = measure(path.read_bytes(), decode)
    return results


if __name__ == "__main__":
    print(json.dumps(measure_all(Path(sys.argv[1]))))
