"""The inference service's wire format: frames round-trip, arrays come back bit for bit, and anything malformed is
a ProtocolError (never a pickle, never an unbounded inflate)."""

import json
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deeplab_core.config import MULTI_GRID, NO_MULTI_GRID
from deeplab_core.serving.messages import Answer, Ask, read_answer, read_ask, write_answer, write_ask
from deeplab_core.serving.protocol import ProtocolError, decode_array, encode_array, label_dtype, pack, unpack


@settings(max_examples=40, deadline=None)
@given(arrays(st.sampled_from(["uint8", "int16", "float16"]), st.tuples(st.integers(0, 40), st.integers(0, 40))))
def test_arrays_round_trip_exactly(array):
    meta, data = encode_array(array)
    back = decode_array(json.loads(json.dumps(meta)), data)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes()  # bit for bit, NaNs included


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.binary(max_size=64), max_size=4), st.integers(-5, 5))
def test_frames_round_trip(parts, value):
    frame = unpack(pack({"value": value}, parts))
    assert frame.header == {"value": value} and frame.parts == parts


def test_foreign_dtypes_are_refused_both_ways():
    with pytest.raises(ProtocolError):
        encode_array(np.zeros(3, np.float64))
    _, data = encode_array(np.zeros(3, np.uint8))
    with pytest.raises(ProtocolError):
        decode_array({"dtype": "object", "shape": [3]}, data)


def test_a_part_never_inflates_past_its_shape():
    bomb = zlib.compress(bytes(50_000_000))  # 50 MB of zeros in ~50 kB
    with pytest.raises(ProtocolError):
        decode_array({"dtype": "uint8", "shape": [10, 10]}, bomb)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00\x05{}",  # shorter than its header length
        (2).to_bytes(4, "big") + b"[]",  # not an object
        (2).to_bytes(4, "big") + b"{}",  # no parts list
        pack({}, {"a": b"xy"}) + b"z",  # trailing bytes
        pack({}, {"a": b"xy"})[:-1],  # a part cut short
        (3).to_bytes(4, "big") + b"\xff\xfe{",  # not UTF-8 JSON
    ],
)
def test_malformed_frames_are_protocol_errors(data):
    with pytest.raises(ProtocolError):
        unpack(data)


def test_a_request_round_trips_and_is_checked_against_the_option_lists():
    ask = Ask("resnet50", 520, 16, MULTI_GRID, trained=True)
    assert read_ask(write_ask(ask, b"photo")) == (ask, b"photo")
    refused = [
        Ask("vgg16", 520, None, NO_MULTI_GRID, True),  # not a model of the course
        Ask("mobilenet_v3_large", 333, None, NO_MULTI_GRID, True),  # not a resolution the page offers
        Ask("mobilenet_v3_large", 520, 16, NO_MULTI_GRID, True),  # MobileNetV3 is not re-wired
        Ask("resnet50", 520, None, NO_MULTI_GRID, True),  # a ResNet's stride is always named
        Ask("resnet50", 520, 4, NO_MULTI_GRID, True),
        Ask("resnet50", 520, 16, (1, 3, 9), True),  # not a multi-grid the course offers
    ]
    for bad in refused:  # written as a foreign client could: the client's own check is not what protects
        with pytest.raises(ProtocolError):
            read_ask(write_ask(bad, b"photo"))


@pytest.mark.parametrize(
    "header",
    [
        {"model": "resnet50", "short_side": "520", "output_stride": 16, "multi_grid": [1, 1, 1], "trained": True},
        {"model": "resnet50", "short_side": 520, "output_stride": 16.0, "multi_grid": [1, 1, 1], "trained": True},
        {"model": "resnet50", "short_side": 520, "output_stride": 16, "multi_grid": "111", "trained": True},
        {"model": "resnet50", "short_side": 520, "output_stride": 16, "multi_grid": [1, 1, 1], "trained": 1},
        {"model": "resnet50", "short_side": True, "output_stride": 16, "multi_grid": [1, 1, 1], "trained": True},
    ],
)
def test_request_fields_of_the_wrong_type_are_refused(header):
    with pytest.raises(ProtocolError):
        read_ask(pack(header, {"photo": b"x"}))


def test_an_answer_round_trips_with_small_types_on_the_wire():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 21, (30, 40))  # int64, as Segmentation holds them
    confidence = rng.random((30, 40), dtype=np.float32)
    answer = Answer(labels, confidence, tuple(f"c{i}" for i in range(21)), (320, 426), True, 1, 2, 3, 4, "cpu", 5, 2)
    data = write_answer(answer)
    assert len(data) < labels.size * (1 + 2) + 1024  # uint8 labels and float16 confidence, not int64 and float32
    back = read_answer(data)
    assert back.labels.dtype == np.uint8 and np.array_equal(back.labels, labels)
    assert back.confidence.dtype == np.float16 and np.abs(back.confidence - confidence).max() < 5e-4
    assert (back.categories, back.network_size, back.batch, back.group) == (answer.categories, (320, 426), 5, 2)
    assert label_dtype(300) == np.int16
