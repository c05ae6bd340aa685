"""deeplab_core.maths.valid_weights against a real conv2d, and DeepLabv3's 65×65 numbers in closed form."""

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.figures.large_rates import counts_heatmap, curves_figure, footprint_figure
from deeplab_core.maths.valid_weights import (
    POSITIONS,
    check_with_torch,
    position_of,
    tap_validity_at,
    valid_tap_counts,
    valid_weight_curves,
    valid_weight_fractions,
)

sizes = st.integers(1, 40)
rates = st.integers(1, 50)
odd_kernels = st.sampled_from([1, 3, 5, 7])


def conv2d_counts(n: int, rate: int, k: int) -> np.ndarray:
    """Brute force: a ones kernel over a ones map, zero padding = rate·(k − 1)/2; each tap adds 1 or 0."""
    x = torch.ones(1, 1, n, n, dtype=torch.float64)
    w = torch.ones(1, 1, k, k, dtype=torch.float64)
    return F.conv2d(x, w, padding=rate * (k // 2), dilation=rate)[0, 0].round().long().numpy()


def conv2d_tap_mask(n: int, rate: int, k: int, tap_row: int, tap_col: int) -> np.ndarray:
    """A one-hot kernel: 1 where that single tap reads the map, 0 where it reads padding."""
    x = torch.ones(1, 1, n, n, dtype=torch.float64)
    w = torch.zeros(1, 1, k, k, dtype=torch.float64)
    w[0, 0, tap_row, tap_col] = 1
    return F.conv2d(x, w, padding=rate * (k // 2), dilation=rate)[0, 0].numpy() > 0.5


@settings(max_examples=80, deadline=None)
@given(n=sizes, rate=rates, k=odd_kernels)
def test_counts_match_conv2d(n, rate, k):
    counts = valid_tap_counts(n, rate, k)
    assert counts.shape == (n, n)
    assert np.issubdtype(counts.dtype, np.integer)
    np.testing.assert_array_equal(counts, conv2d_counts(n, rate, k))


@settings(max_examples=50, deadline=None)
@given(n=sizes, rate=rates, k=odd_kernels, data=st.data())
def test_each_tap_matches_a_one_hot_conv2d(n, rate, k, data):
    row, col = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
    tap_row, tap_col = data.draw(st.integers(0, k - 1)), data.draw(st.integers(0, k - 1))
    expected = conv2d_tap_mask(n, rate, k, tap_row, tap_col)[row, col]
    assert tap_validity_at(n, rate, row, col, k)[tap_row, tap_col] == expected


@settings(max_examples=80, deadline=None)
@given(n=sizes, rate=rates, k=odd_kernels)
def test_fractions_are_the_histogram_of_the_conv2d_counts(n, rate, k):
    values, positions = np.unique(conv2d_counts(n, rate, k), return_counts=True)
    fractions = valid_weight_fractions(n, rate, k)
    assert set(fractions) == set(values.tolist())
    for value, count in zip(values, positions, strict=True):
        assert fractions[int(value)] == pytest.approx(count / n**2)
    assert sum(fractions.values()) == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(n=sizes, k=odd_kernels)
def test_curves_agree_with_fractions_at_every_rate(n, k):
    curves = valid_weight_curves(n, range(1, 2 * n + 2), k)
    np.testing.assert_allclose(curves.fractions.sum(axis=1), 1.0)
    for rate in (1, n // 2 + 1, n, 2 * n + 1):
        at = {c: f for c, f in curves.at(rate).items() if f > 0}
        assert at == pytest.approx(valid_weight_fractions(n, rate, k))


@pytest.mark.parametrize("rate", range(1, 33))
def test_65_nine_valid_weights(rate):
    assert valid_weight_fractions(65, rate).get(9, 0.0) == pytest.approx(((65 - 2 * rate) / 65) ** 2)


@pytest.mark.parametrize("rate", range(33, 65))
def test_65_one_valid_weight(rate):
    fractions = valid_weight_fractions(65, rate)
    assert fractions.get(1, 0.0) == pytest.approx(((2 * rate - 65) / 65) ** 2)
    assert 9 not in fractions  # beyond rate 32 no position keeps all nine


@pytest.mark.parametrize("rate", [65, 66, 100, 200])
def test_65_degenerates_to_1x1(rate):
    assert valid_weight_fractions(65, rate) == {1: 1.0}
    assert valid_weight_curves(65, range(1, 100)).first_rate_all(1) == 65


def test_only_products_of_axis_counts_occur():
    # 3 = 3·1 would need a row keeping both outer taps (r ≤ 32) and a column losing both (r ≥ 33) at once
    assert set(valid_weight_curves(65, range(1, 80)).counts.tolist()) == {1, 2, 4, 6, 9}


@pytest.mark.parametrize("n, rate", [(65, 24), (33, 18), (129, 160), (1, 1), (2, 1)])
def test_check_with_torch_agrees(n, rate):
    check = check_with_torch(n, rate)
    assert check.agrees
    assert (check.positions, check.taps) == (n * n, 9 * n * n)


def test_fast_for_every_rate_on_129():
    start = time.perf_counter()
    for rate in range(1, 81):
        valid_tap_counts(129, rate)
        valid_weight_fractions(129, rate)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "args, message",
    [
        ((65, 6, 2), "odd"),
        ((65, 6, 4), "odd"),
        ((65, 6, 0), "odd"),
        ((65, 0, 3), "rate"),
        ((65, -2, 3), "rate"),
        ((0, 6, 3), "at least 1 pixel"),
    ],
)
def test_invalid_input_is_a_clear_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        valid_tap_counts(*args)
    with pytest.raises(ValueError, match=message):
        valid_weight_fractions(*args)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_build_in_both_languages(lang):
    curves = valid_weight_curves(65, range(1, 82))
    paper = curves_figure(curves, 24, (12, 24, 36), False, lang)
    every = curves_figure(curves, 24, (12, 24, 36), True, lang)
    assert len(every.data) - len(paper.data) == 2  # the 2 and 6 curves the paper leaves out
    assert len(paper.layout.shapes) == 4  # three ASPP rates and the chosen rate
    for rate, present in ((24, ["4", "6", "9"]), (40, ["1", "2", "4"])):
        heat = counts_heatmap(valid_tap_counts(65, rate), 32, 0, lang)
        assert list(heat.data[0].colorbar.ticktext) == present
    foot = footprint_figure(65, 40, 0, 0, tap_validity_at(65, 40, 0, 0), lang)
    assert [len(trace.x) for trace in foot.data[:2]] == [4, 5]  # taps on the map, taps on padding
    if lang == "zh":
        assert "特征图" in paper.layout.title.text


@pytest.mark.parametrize("size", [1, 2, 33, 65])
def test_named_positions_lie_on_the_map_where_their_names_say(size):
    rows_cols = {name: position_of(name, size) for name in POSITIONS}
    assert all(0 <= r < size and 0 <= c < size for r, c in rows_cols.values())
    assert rows_cols["corner"] == (0, 0) and rows_cols["edge"][1] == 0
    assert rows_cols["centre"] == (size // 2, size // 2)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 70), rate=st.integers(1, 80))
def test_share_of_counts_adds_the_fractions(size, rate):
    curves = valid_weight_curves(size, [rate])
    fractions = valid_weight_fractions(size, rate)
    assert curves.share(rate, fractions) == pytest.approx(1.0)
    assert curves.share(rate, (9,)) == pytest.approx(fractions.get(9, 0.0))
