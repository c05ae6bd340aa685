"""Wang et al.'s HDC rules, and the gridding report that sets them beside the exact coverage count."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplab_core.maths.hdc import gridding_report, hdc_verdict
from deeplab_core.maths.receptive_field import ConvLayer, coverage, same_conv


@pytest.mark.parametrize(
    "rates, gcd, m, m2_ok",
    [
        ((1, 2, 5), 1, (1, 2, 5), True),
        ((1, 2, 9), 1, (3, 5, 9), False),
        ((2, 2, 2), 2, (2, 2, 2), True),
        ((2, 4, 8), 2, (2, 4, 8), False),
    ],
)
def test_hdc_rules(rates, gcd, m, m2_ok):
    verdict = hdc_verdict(rates, 3)
    assert verdict.common_factor == gcd and verdict.max_distances == m and verdict.max_distance_ok == m2_ok
    assert hdc_verdict((4,)).max_distance_ok is None


@pytest.mark.parametrize(
    "rates, holes, clean, disagree, miss, strict",
    [
        ((1, 2, 5), False, True, False, False, False),  # HDC: both rules pass, no holes
        ((2, 2, 2), True, False, True, False, False),  # common factor 2: gridding, M2 = 2 ≤ 3 passes
        ((2, 4, 8), True, False, False, False, False),  # both rules fail, holes
        ((1, 2, 9), True, False, True, False, False),  # M2 = 5 > 3 fails, and holes appear
        ((1, 3, 1), False, False, True, False, True),  # M2 = 5 > 3 fails, yet every pixel is reached
    ],
)
def test_gridding_report_sets_the_rules_beside_the_coverage(rates, holes, clean, disagree, miss, strict):
    report = gridding_report([same_conv(3, r) for r in rates])
    assert bool(report.hole_offsets) == holes
    assert (report.predicts_clean, report.rules_disagree) == (clean, disagree)
    assert (report.rules_miss_holes, report.rules_too_strict) == (miss, strict)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=5))
def test_blind_share_counts_the_2d_holes(rates):
    layers = [same_conv(3, r) for r in rates]
    report = gridding_report(layers)
    paths = coverage(layers)
    seen_2d = (paths[:, None] * paths[None, :]) > 0  # (R, R): a pixel is reached when its row and column are
    assert report.span == len(paths)
    assert report.blind_share == pytest.approx(1 - seen_2d.mean())


def test_strides_break_the_rules_assumptions():
    assert gridding_report([same_conv(3, 1), same_conv(3, 2)]).assumptions_hold
    assert not gridding_report([ConvLayer(3, stride=2, padding=1), same_conv(3, 2)]).assumptions_hold
