"""Gridding and hybrid dilated convolution (HDC): Wang et al.'s rules, and what the coverage count really shows.

Wang et al., "Understanding Convolution for Semantic Segmentation" (WACV 2018, arXiv:1702.08502, §3.2), give two
conditions for a group of n K×K dilated convolutions with rates r_1..r_n to leave no holes:
  1. the rates have no common factor greater than 1;
  2. the maximum distance between two non-zero taps, M_2, satisfies M_2 ≤ K, where
     M_n = r_n and M_i = max[M_{i+1} − 2 r_i, M_{i+1} − 2 (M_{i+1} − r_i), r_i].
The rules are a design guide, not a proof: `gridding_report` compares them with the exact coverage count
(`receptive_field.coverage`) and says where they disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from math import gcd

from deeplab_core.maths.receptive_field import ConvLayer, coverage, holes


@dataclass(frozen=True)
class HDCVerdict:
    """Wang et al.'s two conditions on the rates r_1..r_n of one group of K x K dilated convolutions."""

    rates: tuple[int, ...]
    kernel_size: int
    common_factor: int  # gcd of the rates; HDC asks for 1
    max_distances: tuple[int, ...]  # M_1 .. M_n

    @property
    def no_common_factor(self) -> bool:
        return self.common_factor == 1

    @property
    def max_distance_ok(self) -> bool | None:
        """M_2 <= K; None for a single layer, where M_2 does not exist."""
        return self.max_distances[1] <= self.kernel_size if len(self.rates) > 1 else None


def hdc_verdict(rates: Sequence[int], kernel_size: int = 3) -> HDCVerdict:
    """M_n = r_n; M_i = max[M_{i+1} - 2 r_i, M_{i+1} - 2 (M_{i+1} - r_i), r_i]."""
    distances = [rates[-1]]
    for r in reversed(rates[:-1]):
        m = distances[0]
        distances.insert(0, max(m - 2 * r, m - 2 * (m - r), r))
    return HDCVerdict(tuple(rates), kernel_size, reduce(gcd, rates), tuple(distances))


@dataclass(frozen=True)
class GriddingReport:
    """The exact holes of a stack beside what Wang et al.'s two rules predict for its rates."""

    span: int  # pixels of the receptive field along one axis
    hole_offsets: tuple[float, ...]  # offsets from the centre that no path reaches (1-D)
    verdict: HDCVerdict
    assumptions_hold: bool  # stride 1 and one kernel size everywhere, as the rules assume

    @property
    def blind_share(self) -> float:
        """Share of the 2-D receptive field that no path reaches (a pixel is blind when its row or column is)."""
        return 1 - (1 - len(self.hole_offsets) / self.span) ** 2

    @property
    def predicts_clean(self) -> bool:
        """Both rules pass (the second is vacuous for a single layer)."""
        return self.verdict.no_common_factor and self.verdict.max_distance_ok is not False

    @property
    def rules_disagree(self) -> bool:
        """One rule passes and the other fails."""
        ok = self.verdict.max_distance_ok
        return ok is not None and self.verdict.no_common_factor != ok

    @property
    def rules_miss_holes(self) -> bool:
        """The rules predict no holes, yet the coverage count finds some."""
        return self.predicts_clean and bool(self.hole_offsets)

    @property
    def rules_too_strict(self) -> bool:
        """The rules predict holes, yet every pixel is reached."""
        return not self.predicts_clean and not self.hole_offsets


def gridding_report(layers: Sequence[ConvLayer]) -> GriddingReport:
    kernel = min(layer.kernel_size for layer in layers)
    return GriddingReport(
        span=len(coverage(layers)),
        hole_offsets=tuple(float(o) for o in holes(layers)),
        verdict=hdc_verdict([layer.dilation for layer in layers], kernel),
        assumptions_hold=all(layer.stride == 1 and layer.kernel_size == kernel for layer in layers),
    )
