"""The train lab's figures as a class sees them: the loss axis labelled with its real values (0.2, not "2"), the
predictions in rows a phone can show, every class name readable across the per-class chart."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deeplab_core.figures.train import PREDICTION_COLUMNS, curves_figure, iou_figure, log_ticks, predictions_figure
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets.lab.scenes import CLASSES


@given(st.floats(1e-4, 50), st.floats(1.01, 1e4))
def test_log_ticks_frame_the_range_with_readable_values(low, ratio):
    high = low * ratio
    ticks = log_ticks([low, high, (low + high) / 2])
    slack = 1 + 1e-9  # a value a rounding away from a tick counts as on it
    assert ticks == sorted(ticks) and ticks[0] <= low * slack and ticks[-1] * slack >= high
    assert all(float(f"{v:g}") == pytest.approx(v) for v in ticks)  # each label is the value itself
    assert all(round(v / 10 ** np.floor(np.log10(v)), 6) in (1, 1.5, 2, 3, 4, 5, 6, 8) for v in ticks)
    assert len(ticks) >= 2  # a short range still gets labels at both ends
    assert ticks[1] * slack > low and ticks[-2] < high * slack  # one tick at or beyond each end, not more


def test_the_loss_axis_reads_its_values():
    losses = list(np.geomspace(2.4, 0.07, 50))
    fig = curves_figure({"a": {"step": range(1, 51), "loss": losses, "eval_step": [25, 50], "miou": [0.2, 0.3]}}, "en")
    axis = fig.layout.yaxis
    assert axis.type == "log"
    assert list(axis.ticktext) == [f"{v:g}" for v in axis.tickvals]
    assert "0.2" in axis.ticktext and "0.1" in axis.ticktext and "2" in axis.ticktext
    assert axis.range[0] == pytest.approx(np.log10(axis.tickvals[0]))  # the outer ticks are on the axis


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("variants", [("a", "b"), ("a", "b", "c", "d", "e-grid", "e-hdc")])
def test_predictions_come_in_rows_of_four_one_scene_at_a_time(variants, lang):
    images, labels = np.zeros((3, 3, 8, 8)), np.zeros((3, 8, 8), dtype=int)
    fig = predictions_figure(images, labels, {k: [np.zeros((8, 8), dtype=int)] * 3 for k in variants}, lang)
    panels = 2 + len(variants)
    columns = min(PREDICTION_COLUMNS, panels)
    rows_per_scene = -(-panels // columns)
    assert len(fig.data) == 3 * panels
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:2] == [text("train.fig.scene", lang, n=1), text("train.fig.labels", lang)]
    assert titles.count(text(f"train.variant_tag.{variants[-1]}", lang)) == 3  # every scene names its panels
    assert len(titles) == 3 * rows_per_scene * columns  # a scene starts a new row (blank places untitled)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_class_names_read_across(lang):
    means = {k: [0.5] * (len(CLASSES) + 1) for k in ("a", "b")}
    fig = iou_figure(means, {k: [0.01] * (len(CLASSES) + 1) for k in means}, lang)
    assert all(bar.orientation == "h" for bar in fig.data)
    assert list(fig.data[0].y) == [text(f"train.class.{c}", lang) for c in CLASSES] + ["mIoU"]
    assert fig.layout.legend.y >= 1  # above the bars, clear of the class names
