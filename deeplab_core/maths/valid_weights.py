"""Valid weights of a size-preserving atrous convolution: how many taps land on the map, not on padding.

DeepLabv3 (Chen et al., "Rethinking Atrous Convolution for Semantic Image Segmentation", 2017, §3.3, Fig. 4)
applies a 3×3 filter with rate r and padding r to a 65×65 feature map and counts, per output position, the
**valid weights**: taps applied to the feature map rather than to the zero padding. As r approaches the map
size only the centre tap stays valid, and the 3×3 filter degenerates to a 1×1 filter.

The taps of a k×k filter sit at offsets (j − (k − 1)/2)·r, j = 0..k−1, on each axis, and a tap is valid when
both its row and its column fall inside the map. So the count is separable: the 2-D count at (y, x) is the
row count at y times the column count at x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from deeplab_core.errors import LabError


class ValidWeightsError(LabError, ValueError):
    """Arguments no size-preserving atrous convolution can have ("errors.valid_weights.<reason>")."""

    def __init__(self, reason: str, message: str, **values: int) -> None:
        super().__init__(f"errors.valid_weights.{reason}", message, **values)


def _check(feature_size: int, rate: int, kernel_size: int) -> None:
    if feature_size < 1:
        raise ValidWeightsError(
            "feature_size",
            f"The feature map must be at least 1 pixel wide, got {feature_size}.",
            feature_size=feature_size,
        )
    if rate < 1:
        raise ValidWeightsError("rate", f"The atrous rate must be at least 1, got {rate}.", rate=rate)
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValidWeightsError(
            "kernel_size",
            f"The kernel size must be a positive odd number, got {kernel_size}.",
            kernel_size=kernel_size,
        )


def axis_tap_validity(feature_size: int, rate: int, kernel_size: int = 3) -> np.ndarray:
    """(n, k) bools: whether tap j of output position i lands inside the map, along one axis."""
    _check(feature_size, rate, kernel_size)
    offsets = (np.arange(kernel_size) - kernel_size // 2) * rate  # (k,)
    taps = np.arange(feature_size)[:, None] + offsets[None, :]  # (n, k) input index of each tap
    return (taps >= 0) & (taps < feature_size)


def valid_tap_counts(feature_size: int, rate: int, kernel_size: int = 3) -> np.ndarray:
    """(H, W) ints: valid taps at every output position of a k×k conv with padding = rate·(k − 1)/2."""
    per_axis = axis_tap_validity(feature_size, rate, kernel_size).sum(axis=1)  # (n,)
    return np.outer(per_axis, per_axis)


def valid_weight_fractions(feature_size: int, rate: int, kernel_size: int = 3) -> dict[int, float]:
    """{valid count: fraction of output positions with that count}, for the counts that occur."""
    curves = valid_weight_curves(feature_size, (rate,), kernel_size)
    return {int(c): float(f) for c, f in zip(curves.counts, curves.fractions[0], strict=True) if f > 0}


@dataclass(frozen=True)
class WeightCurves:
    """Fractions of positions per valid count, for many rates: the curves of DeepLabv3's Figure 4."""

    feature_size: int
    kernel_size: int
    rates: np.ndarray  # (R,)
    counts: np.ndarray  # (C,) every count that occurs at some rate, ascending
    fractions: np.ndarray  # (R, C) each row sums to 1

    def curve(self, count: int) -> np.ndarray:
        """(R,) fractions of positions with `count` valid weights (zeros when that count never occurs)."""
        hits = np.flatnonzero(self.counts == count)
        return self.fractions[:, hits[0]] if hits.size else np.zeros(len(self.rates))

    def at(self, rate: int) -> dict[int, float]:
        row = self.fractions[int(np.flatnonzero(self.rates == rate)[0])]
        return {int(c): float(f) for c, f in zip(self.counts, row, strict=True)}

    def share(self, rate: int, counts) -> float:
        """Fraction of positions whose valid count is one of `counts`, at `rate`."""
        at = self.at(rate)
        return sum(at.get(int(c), 0.0) for c in counts)

    def first_rate_all(self, count: int) -> int | None:
        """The smallest plotted rate at which every position has exactly `count` valid weights."""
        hits = np.flatnonzero(np.isclose(self.curve(count), 1.0))
        return int(self.rates[hits[0]]) if hits.size else None


def valid_weight_curves(feature_size: int, rates, kernel_size: int = 3) -> WeightCurves:
    """All rates at once, without building any (H, W) map: a 2-D position has a·b valid taps when its row
    has a and its column b, so the number of positions with count c is Σ_{a·b=c} rows(a)·cols(b)."""
    rates = np.asarray(rates, dtype=np.int64)  # (R,)
    for rate in (rates.min(initial=1), rates.max(initial=1)):
        _check(feature_size, int(rate), kernel_size)
    half = kernel_size // 2
    offsets = (np.arange(kernel_size) - half)[None, :] * rates[:, None]  # (R, k)
    taps = np.arange(feature_size)[None, :, None] + offsets[:, None, :]  # (R, n, k)
    per_axis = ((taps >= 0) & (taps < feature_size)).sum(axis=2)  # (R, n) valid taps along one axis
    hist = (per_axis[:, :, None] == np.arange(kernel_size + 1)).sum(axis=1)  # (R, k+1) positions per count
    pairs = hist[:, :, None] * hist[:, None, :]  # (R, k+1, k+1) positions with (row count a, column count b)
    product = np.outer(np.arange(kernel_size + 1), np.arange(kernel_size + 1))  # (k+1, k+1) a·b
    totals = np.zeros((len(rates), kernel_size**2 + 1), dtype=np.int64)  # (R, k²+1)
    for count in np.unique(product):
        totals[:, count] = pairs[:, product == count].sum(axis=1)
    present = np.flatnonzero(totals.any(axis=0))
    return WeightCurves(
        feature_size=feature_size,
        kernel_size=kernel_size,
        rates=rates,
        counts=present,
        fractions=totals[:, present] / feature_size**2,
    )


POSITIONS = ("centre", "edge", "corner")


def position_of(name: str, size: int) -> tuple[int, int]:
    """(row, col) of a named output position on a size × size map: its centre, the middle of its left edge, its
    top-left corner."""
    middle = size // 2
    return {"centre": (middle, middle), "edge": (middle, 0), "corner": (0, 0)}[name]


def tap_validity_at(feature_size: int, rate: int, row: int, col: int, kernel_size: int = 3) -> np.ndarray:
    """(k, k) bools: which taps of the filter centred on output (row, col) land on the map."""
    valid = axis_tap_validity(feature_size, rate, kernel_size)  # (n, k)
    return valid[row][:, None] & valid[col][None, :]


@dataclass(frozen=True)
class TorchCheck:
    positions: int  # output positions compared
    taps: int  # (position, tap) pairs compared
    count_mismatches: int  # positions where conv2d with a ones kernel gives another count
    tap_mismatches: int  # (position, tap) pairs where a one-hot kernel disagrees on validity

    @property
    def agrees(self) -> bool:
        return self.count_mismatches == 0 and self.tap_mismatches == 0


def torch_valid_taps(feature_size: int, rate: int, kernel_size: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """What a real conv2d reads on a ones map with zero padding = rate·(k − 1)/2: a tap on the map adds 1, a tap
    on padding adds 0. Returns (counts (H, W) from a ones kernel, masks (k, k, H, W) from one one-hot kernel per
    tap); both kinds of kernel go in one call, as output channels."""
    _check(feature_size, rate, kernel_size)
    k = kernel_size
    x = torch.ones(1, 1, feature_size, feature_size)  # (N, C, H, W)
    one_hot = torch.eye(k * k).reshape(k * k, 1, k, k)  # (k², 1, k, k): channel t reads tap t only
    w = torch.cat([torch.ones(1, 1, k, k), one_hot])  # (1 + k², 1, k, k)
    with torch.no_grad():
        y = F.conv2d(x, w, padding=rate * (k // 2), dilation=rate)[0]  # (1 + k², H, W); small sums are exact
    counts = y[0].round().to(torch.int64).numpy()
    masks = (y[1:] > 0.5).reshape(k, k, feature_size, feature_size).numpy()
    return counts, masks


def check_with_torch(feature_size: int, rate: int, kernel_size: int = 3) -> TorchCheck:
    """Compare the separable counts with what a real conv2d reads, per position and per tap."""
    counts = valid_tap_counts(feature_size, rate, kernel_size)
    valid = axis_tap_validity(feature_size, rate, kernel_size)  # (n, k)
    masks = valid.T[:, None, :, None] & valid.T[None, :, None, :]  # (k, k, H, W)
    torch_counts, torch_masks = torch_valid_taps(feature_size, rate, kernel_size)
    return TorchCheck(
        positions=counts.size,
        taps=masks.size,
        count_mismatches=int((torch_counts != counts).sum()),
        tap_mismatches=int((torch_masks != masks).sum()),
    )
