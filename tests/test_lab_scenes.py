"""The lab's scenes: reproducible by (seed, index), and their labels match the shapes painted."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.nets.lab.scenes import _RGB, CLASSES, SCENES, batch, scene

QUIET = replace(SCENES, noise=0.0)  # no noise: every pixel keeps the exact colour of what was painted there


def colour(name: str) -> np.ndarray:
    return np.asarray(_RGB[name], dtype=np.float32)


def test_same_seed_and_index_give_the_same_scene():
    a, b = scene(3, 7), scene(3, 7)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(scene(3, 8).labels, a.labels)
    assert not np.array_equal(scene(4, 7).labels, a.labels)


def test_batch_is_the_scenes_in_order():
    images, labels = batch(1, 5, 3)
    assert images.shape == (3, 3, SCENES.size, SCENES.size) and images.dtype == np.float32
    assert labels.shape == (3, SCENES.size, SCENES.size) and labels.dtype == np.int64
    assert np.array_equal(labels[1], scene(1, 6).labels)
    assert 0.0 <= images.min() and images.max() <= 1.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 10_000))
def test_labels_match_the_painted_colours(seed, index):
    s = scene(seed, index, QUIET)
    pixels = s.image.transpose(1, 2, 0)  # (H, W, 3)
    for name in ("disc", "line", "dot"):
        mask = s.labels == CLASSES.index(name)
        assert np.allclose(pixels[mask], colour(name)), name
    inside = (s.labels == CLASSES.index("inside_red")) | (s.labels == CLASSES.index("inside_blue"))
    plain, striped = colour("inside"), colour("inside") * 0.6
    ok = np.isclose(pixels[inside], plain).all(1) | np.isclose(pixels[inside], striped).all(1)
    assert ok.all()
    background = pixels[s.labels == 0]
    frame = [colour("background"), colour("red"), colour("blue")]
    assert np.any([np.isclose(background, c).all(1) for c in frame], axis=0).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 10_000))
def test_framed_blobs_are_named_by_their_frame_and_far_from_it(seed, index):
    s = scene(seed, index, QUIET)
    pixels = s.image.transpose(1, 2, 0)
    red = np.isclose(pixels, colour("red")).all(-1)
    blue = np.isclose(pixels, colour("blue")).all(-1)
    assert not (red.any() and blue.any())  # one frame per scene
    for name, frame in (("inside_red", red), ("inside_blue", blue)):
        blob = s.labels == CLASSES.index(name)
        if not blob.any():
            continue
        assert frame.any(), f"{name} without its frame"
        by, bx = np.nonzero(blob)
        fy, fx = np.nonzero(frame)
        chebyshev = np.maximum(abs(by[:, None] - fy[None]), abs(bx[:, None] - fx[None]))
        assert chebyshev.min() > QUIET.min_gap  # no small receptive field sees blob and frame together


def test_every_class_appears_and_the_thin_ones_are_rare():
    _, labels = batch(999, 0, 32)
    share = np.bincount(labels.ravel(), minlength=len(CLASSES)) / labels.size
    assert (share > 0).all()
    assert share[0] > 0.8 and share[CLASSES.index("dot")] < 0.01
