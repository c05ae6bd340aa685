"""The decode budget: no upload makes decoding grow the process by more than config.DECODE_BUDGET_BYTES + 100 MB;
each large file is decoded (converted in strips), decoded at a smaller JPEG scale, or refused from its header.

Memory is measured as RSS growth, each case in a forked child (tests/decode_memory.py says why and how); the
smaller tests check the pieces: Pillow's storage per mode against its own block allocator, strips against one
whole-image conversion, the refusal's message, and JPEG's reduced decode.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from deeplab_core import decode_budget
from deeplab_core.config import DECODE_BUDGET_BYTES
from deeplab_core.decode_budget import MIB, decoder_bytes, plan, plan_within, storage_bytes
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.images import ImageLoadError, load_image
from tests.decode_memory import CASES
from tests.image_support import GREEN, encode, flat_png, flat_tiff, pixels
from tests.paths import ROOT

BUDGET_MIB = DECODE_BUDGET_BYTES / MIB
SLACK_MIB = 100  # the allowance above the budget
HONEST_MIB = 16  # how far the measured growth may exceed the header's estimate


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every case of tests/decode_memory.py, measured in one subprocess (its files cached for the session)."""
    folder = tmp_path_factory.getbasetemp() / "decode_memory"
    command = [sys.executable, "-m", "tests.decode_memory", str(folder)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    if "unsupported" in results:
        pytest.skip(results["unsupported"])
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_decoding_grows_the_process_by_at_most_the_budget(case: str, measured: dict) -> None:
    result, expected = measured[case], CASES[case][1]
    assert "error" not in result, result
    assert result["growth"] <= BUDGET_MIB + SLACK_MIB, result
    if expected == "refused":
        assert result["outcome"] == "too_much_memory" and result["estimate"] > BUDGET_MIB, result
        assert result["growth"] < 8, result  # refused from the header: nothing was decoded
        return
    assert result["outcome"] == "decoded" and result["estimate"] <= BUDGET_MIB, result
    assert (result["scale"] > 1) == (expected == "reduced"), result
    assert result["growth"] <= result["estimate"] + HONEST_MIB, result  # the header's estimate is honest


def test_the_cases_reach_the_budget(measured: dict) -> None:
    """The largest accepted cases cost nearly the whole budget, so the test above checks the edge, not the middle."""
    accepted = [r["growth"] for case, r in measured.items() if CASES[case][1] != "refused"]
    assert max(accepted) >= 0.85 * BUDGET_MIB


def test_tracemalloc_does_not_see_pillow_pixels() -> None:
    """Why the memory is measured as RSS: Pillow's pixels (here 16 MiB) never pass through Python's allocator."""
    tracemalloc.start()
    try:
        image = Image.new("F", (2048, 2048), 0.5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert image.getpixel((0, 0)) == 0.5 and peak < MIB


MODES = ["1", "L", "P", "I;16", "I;16B", "LA", "La", "PA", "RGB", "RGBA", "RGBa", "CMYK", "YCbCr", "I", "F"]


@pytest.mark.parametrize("mode", MODES)
def test_storage_per_pixel_is_what_pillow_allocates(mode: str) -> None:
    """Pillow's block allocator, set to 4 kB blocks, counts the blocks a 1024×64 image takes: 64·1024·b/4096."""
    block_size = Image.core.get_block_size()
    Image.core.set_block_size(4096)
    try:
        Image.core.reset_stats()
        Image.new(mode, (1024, 64))
        blocks = Image.core.get_stats()["allocated_blocks"]
    finally:
        Image.core.set_block_size(block_size)
    assert storage_bytes(mode) == blocks * 4096 // (1024 * 64)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_refusal_says_why_in_every_language(no_decoding: None) -> None:
    with pytest.raises(ImageLoadError) as caught:
        load_image(flat_tiff(7000, 7000, rows=7000))  # one 187 MiB strip beside a 187 MiB image
    error = caught.value
    assert isinstance(error, ValueError) and error.reason == "too_much_memory"
    assert error.values["limit"] == BUDGET_MIB and error.values["needed"] > BUDGET_MIB
    for lang in LANGUAGES:
        message = text(error.key, lang, **error.values)
        assert str(error.values["needed"]) in message and str(error.values["limit"]) in message and "JPEG" in message


def test_the_budget_is_a_parameter() -> None:
    data = flat_png(1000, 800, 16, 0)  # 1.5 MiB as I;16
    with pytest.raises(ImageLoadError, match="MB"):
        load_image(data, budget_bytes=MIB)
    assert load_image(data, budget_bytes=DECODE_BUDGET_BYTES).size == (1000, 800)


def test_an_over_budget_jpeg_is_decoded_smaller_instead_of_refused() -> None:
    image = Image.new("RGB", (1600, 1200), GREEN)
    data = encode(image, "JPEG", progressive=True)
    with Image.open(io.BytesIO(data)) as header:
        full, half = plan(header, data, None), plan(header, data, None, scale=2)
        budget = (full.peak_bytes + half.peak_bytes) // 2
        assert plan_within(header, data, None, budget).scale == 2
    loaded = load_image(data, max_side=None, budget_bytes=budget)
    assert loaded.size == (800, 600)
    assert np.abs(pixels(loaded)[300, 400] - GREEN).max() <= 8


def test_jpeg_coefficients_are_counted_when_libjpeg_keeps_them() -> None:
    """libjpeg keeps 2 bytes per sample of every colour, at full size, when a file has several scans: progressive, or
    a first scan that does not carry every colour (here: a baseline file whose SOS says one of three)."""
    image = Image.new("RGB", (1024, 768))
    baseline, progressive = encode(image, "JPEG", subsampling=0), encode(image, "JPEG", subsampling=0, progressive=True)
    scan = baseline.index(b"\xff\xda")
    one_colour_scan = baseline[: scan + 4] + b"\x01" + baseline[scan + 5 :]
    coefficients = 3 * 1024 * 768 * 2
    for data, held in [(baseline, 0), (progressive, coefficients), (one_colour_scan, coefficients)]:
        with Image.open(io.BytesIO(data)) as header:
            assert decoder_bytes(header, data) == (held, 0)
    four_two_zero = encode(image, "JPEG", subsampling=2, progressive=True)  # chroma at half width and height
    with Image.open(io.BytesIO(four_two_zero)) as header:
        assert decoder_bytes(header, four_two_zero) == (1024 * 768 * 2 * 3 // 2, 0)


def reference_gray(values: np.ndarray, bits: int | None) -> np.ndarray:
    """The whole-image rule: by bit depth, else [0, 1] floats, else 8- or 16-bit ranges, else stretched."""
    finite = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = min(0.0, finite.min()), max(0.0, finite.max())
    if bits:
        low, white = 0.0, 2.0**bits - 1
    elif values.dtype.kind == "f" and low >= 0 and high <= 1:
        white = 1.0
    elif low >= 0 and high <= 65535:
        white = 255.0 if high <= 255 else 65535.0
    else:
        white = high
    return np.clip(np.rint((finite - low) * (255 / max(white - low, 1e-12))), 0, 255).astype(np.uint8)


@settings(max_examples=40, deadline=None)
@given(
    dtype=st.sampled_from(["uint16", "int32", "float32"]),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 30)),
    scale=st.sampled_from([1.0, 255.0, 65535.0, 1e6, -1e6]),
    seed=st.integers(0, 2**32 - 1),
)
def test_strips_convert_like_the_whole_image(dtype: str, shape: tuple[int, int], scale: float, seed: int) -> None:
    """Tiny strips (the range found over all of them first) give exactly the whole-image conversion."""
    rng = np.random.default_rng(seed)
    values = rng.random(shape) * scale
    if dtype == "float32" and values.size > 2:
        values.flat[:2] = [np.nan, np.inf]  # read as 0
    values = np.clip(values, 0, 65535) if dtype == "uint16" else values
    data = encode(Image.fromarray(values.astype(dtype)), "TIFF")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decode_budget, "STRIP_BYTES", 8)  # one row per strip
        out = pixels(load_image(data))[..., 0]
    assert np.array_equal(out, reference_gray(values.astype(dtype), 16 if dtype == "uint16" else None))


@pytest.mark.parametrize("mode", ["RGBA", "P", "I;16", "RGB"])
def test_reduced_strips_match_one_reduce_and_resize(mode: str) -> None:
    """Strips box-reduced by a whole factor, then Lanczos: what Image.reduce + Image.resize do on the whole image."""
    rng = np.random.default_rng(7)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, (301, 455), dtype=np.uint16))
        rgb = Image.fromarray(np.rint(np.asarray(image) / 257).astype(np.uint8)).convert("RGB")
    else:
        image = Image.fromarray(rng.integers(0, 256, (301, 455, 4), dtype=np.uint8)).convert(mode)
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    target = (100, 66)  # 455×301 within 100 pixels
    factor = min(455 // 100, 301 // 66)  # 4: the largest whole reduction that still covers the target
    expected = rgb.reduce(factor).resize(target, Image.Resampling.LANCZOS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decode_budget, "STRIP_BYTES", 455 * 8 * 9)  # nine rows, rounded down to 8: two boxes a strip
        loaded = load_image(encode(image, "PNG"), max_side=100)
    assert loaded.size == target
    assert np.array_equal(pixels(loaded), np.asarray(expected).astype(int))
