"""The CRF step-through's figures: the zoom finds the busiest window (against brute force), every panel shows the
one step it is given (no frames of its own), and the energy chart keeps the line and the bars on separate axes
with whole-number pixel counts."""

import numpy as np
import pytest

from deeplab_core.figures.deeplab_v1_v2 import crf_panels, energy_figure, magnified, zoom_window
from deeplab_core.maths.crf import CrfSettings, CrfTrace, crf_trace
from deeplab_core.maths.crf_scene import constructed_scene

NAMES = ("background", "ellipse", "triangle", "bar")


@pytest.fixture(scope="module")
def run():
    scene = constructed_scene(60, 80)
    return scene, crf_trace(scene.image, scene.probabilities, CrfSettings())


def trace_of(labels: np.ndarray, changed: tuple[int, ...] | None = None) -> CrfTrace:
    steps = len(labels)
    counts = changed or tuple(int((labels[s] != labels[max(s - 1, 0)]).sum()) for s in range(steps))
    return CrfTrace(labels, tuple(float(100 - s) for s in range(steps)), counts, 0.0, "cpu")


def test_zoom_window_holds_the_most_changes_by_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=(4, 12, 15))  # (T + 1, H, W)
    trace = trace_of(labels)
    top, left, h, w = zoom_window(trace)
    counts = sum(trace.changed_mask(s).astype(int) for s in range(1, 4))
    best = max(counts[y : y + h, x : x + w].sum() for y in range(12 - h + 1) for x in range(15 - w + 1))
    assert (h, w) == (4, 5) and counts[top : top + h, left : left + w].sum() == best


def test_zoom_window_is_centred_when_nothing_changes():
    assert zoom_window(trace_of(np.zeros((3, 30, 30), dtype=np.int64))) == (10, 10, 10, 10)


def test_magnified_keeps_pixels_square():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)  # (H, W, 3)
    out = magnified(image, (0, 1, 2, 2))
    assert out.shape[0] == out.shape[1] and out.shape[0] % 2 == 0
    np.testing.assert_array_equal(out[0, 0], image[0, 1])


@pytest.mark.parametrize("step", [0, 1, 5])
def test_panels_show_the_step_they_are_given_and_own_no_control(run, step):
    scene, trace = run
    *panels, legend = crf_panels(scene.image, trace, NAMES, step, "en", scene.truth)
    assert len(panels) == 4 and legend.layout.legend.maxheight == 1
    assert f"step {step}" in panels[2].layout.title.text and f"step {step}" in panels[3].layout.title.text
    assert panels[2].layout.shapes  # the zoomed window, outlined
    for fig in (*panels, legend):
        assert not fig.frames and not fig.layout.sliders and not fig.layout.updatemenus


def test_energy_chart_has_separate_axes_and_whole_counts(run):
    _, trace = run
    fig = energy_figure(trace, 2, "en")
    line, bars = fig.data
    assert line.type == "scatter" and bars.type == "bar" and line.yaxis != bars.yaxis  # never drawn over each other
    assert fig.layout.yaxis2.tickformat == ",d" and fig.layout.yaxis2.rangemode == "tozero"
    assert {shape.x0 for shape in fig.layout.shapes} == {2}
    small = energy_figure(trace_of(np.zeros((3, 4, 4), dtype=np.int64), changed=(0, 2, 1)), 1, "en")
    assert small.layout.yaxis2.dtick == 1  # two pixels: ticks 0, 1, 2, not 0.5 steps
