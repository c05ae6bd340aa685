"""The pixel budget: whatever a photo's shape, the network input stays within B·s² pixels, or the photo is refused
before any work. Strips and panoramas go through load_image, segment and the ASPP page's input."""

import io
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from deeplab_core.budget import PhotoShapeError, fit_photo, network_size, pixel_budget, plan_input
from deeplab_core.config import BUDGET_ASPECT, MAX_ASPECT
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.images import MAX_SIDE, load_image
from deeplab_core.nets import segmentation
from deeplab_core.nets.aspp_probe import network_input
from deeplab_core.nets.inspection import square_photo

STRIPS = [(20000, 1), (1, 20000), (10000, 200), (50000, 3)]  # the mischief: all beyond 1:16


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def mobilenet(random_model):
    return random_model("mobilenet_v3_large")


@given(
    st.integers(1, 4000),
    st.floats(1.0, MAX_ASPECT),
    st.booleans(),
    st.sampled_from([64, 257, 320, 513, 520, 720]),
)
def test_the_input_never_exceeds_the_budget_and_is_as_large_as_it_allows(short, aspect, tall, short_side):
    long = min(int(short * aspect), MAX_ASPECT * short)
    width, height = (short, long) if tall else (long, short)
    plan = plan_input(width, height, short_side)
    assert plan.size == network_size(width, height, plan.short_side)
    assert plan.pixels <= pixel_budget(short_side) == BUDGET_ASPECT * short_side**2
    assert plan.short_side <= short_side
    # the largest short side that fits: one more pixel would break the budget (or it is the one asked for)
    if plan.scaled:
        assert math.prod(network_size(width, height, plan.short_side + 1)) > pixel_budget(short_side)
    # at most 1:4 the photo is never scaled: the budget only bites on long, thin photos
    if max(width, height) <= BUDGET_ASPECT * min(width, height):
        assert not plan.scaled and plan.short_side == short_side
    # at 1:16 the short side is still at least half the one asked for (√(4/16))
    assert plan.short_side >= math.floor(short_side / 2) - 1


@pytest.mark.parametrize(("width", "height"), STRIPS)
def test_strips_are_refused_from_the_header_with_a_message_in_both_languages(width, height):
    data = png(width, height)
    assert len(data) < 10_000  # a tiny file: the size on disk says nothing
    with pytest.raises(PhotoShapeError) as caught:
        load_image(data, max_aspect=MAX_ASPECT)
    error = caught.value
    assert error.key == "errors.budget.aspect"
    for lang in LANGUAGES:
        message = text(error.key, lang, **error.values)
        assert f"{width}×{height}" in message and f"1:{MAX_ASPECT}" in message
    # without the networks' limit the decoder still bounds the work: the long side is scaled to MAX_SIDE
    image = load_image(data)
    assert max(image.size) == MAX_SIDE and min(image.size) >= 1


@pytest.mark.parametrize(("width", "height"), STRIPS)
def test_segment_and_the_aspp_input_refuse_strips_before_any_work(width, height, mobilenet, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("the strip reached the network's preprocessing")

    monkeypatch.setattr(segmentation, "preprocess", no_work)
    monkeypatch.setattr("deeplab_core.nets.aspp_probe.preprocess", no_work)
    image = Image.new("RGB", (width, height))
    with pytest.raises(PhotoShapeError):
        segmentation.segment(mobilenet, image, short_side=520)
    with pytest.raises(PhotoShapeError):
        network_input(image, mobilenet.spec, 257, torch.device("cpu"))


def test_a_long_photo_within_the_limit_is_scaled_to_the_budget(mobilenet):
    image = Image.new("RGB", (1024, 64))  # 1:16, the longest accepted
    seg = segmentation.segment(mobilenet, image, short_side=64)
    assert seg.plan.scaled and seg.plan.short_side == 32
    assert seg.network_size == seg.plan.size == (32, 512)
    assert seg.labels.shape == (64, 1024)  # the labels come back at the photo's size
    x, seen = network_input(image, mobilenet.spec, 64, torch.device("cpu"))
    assert tuple(x.shape[-2:]) == seen.shape[:2] == (32, 512)
    assert x.shape[-2] * x.shape[-1] <= pixel_budget(64)


def test_fit_photo_gives_the_pixels_the_network_sees():
    seen, plan = fit_photo(Image.new("RGB", (4000, 500)), 520)  # 1:8 → short side 367
    assert (seen.height, seen.width) == plan.size and plan.scaled
    assert plan.pixels <= pixel_budget(520)


def test_the_output_stride_page_crops_any_photo_to_its_square():
    assert square_photo(Image.new("RGB", (20000, 1)), 513).size == (513, 513)
