"""What a session keeps of a segmentation: 3 bytes a pixel (uint8 labels, uint16 fixed-point confidence), giving back
the same labels and the confidence within half a step (nets/segmentation.Segmentation)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deeplab_core.budget import plan_input
from deeplab_core.nets.segmentation import CONFIDENCE_STEPS, Segmentation, Timings

SHAPES = st.tuples(st.integers(1, 40), st.integers(1, 40))


def kept(labels: np.ndarray, confidence: np.ndarray, classes: int = 21) -> Segmentation:
    h, w = labels.shape
    categories = tuple(f"c{i}" for i in range(classes))
    return Segmentation(labels, confidence, categories, (h, w), plan_input(64, 48, 48), True, Timings(0, 0, 0, "cpu"))


@settings(max_examples=50, deadline=None)
@given(data=st.data(), shape=SHAPES)
def test_labels_and_confidence_come_back_as_they_went_in(data, shape):
    labels = data.draw(arrays(np.int64, shape, elements=st.integers(0, 20)))
    confidence = data.draw(arrays(np.float32, shape, elements=st.floats(0, 1, width=32)))
    seg = kept(labels, confidence)
    assert seg.labels.dtype == np.int64 and np.array_equal(seg.labels, labels)
    assert seg.probabilities.dtype == np.float32
    assert np.abs(seg.probabilities - confidence).max() <= 0.5 / CONFIDENCE_STEPS + 1e-7


def test_a_session_keeps_three_bytes_a_pixel():
    labels, confidence = np.zeros((480, 640), np.int64), np.full((480, 640), 0.75, np.float32)
    seg = kept(labels, confidence)
    assert seg.stored_labels.dtype == np.uint8 and seg.stored_confidence.dtype == np.uint16
    assert seg.stored_labels.nbytes + seg.stored_confidence.nbytes == 3 * labels.size
    assert labels.nbytes + confidence.nbytes == 12 * labels.size  # what it kept before


def test_more_than_256_classes_keep_their_labels():
    labels = np.array([[0, 300], [299, 1]])
    seg = kept(labels, np.ones((2, 2), np.float32), classes=301)
    assert seg.stored_labels.dtype == np.uint16 and np.array_equal(seg.labels, labels)
