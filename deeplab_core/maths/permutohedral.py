"""Gaussian filtering in a d-dimensional feature space with the permutohedral lattice, in PyTorch.

Adams, Baek & Davis, "Fast High-Dimensional Filtering Using the Permutohedral Lattice", Eurographics 2010, as
Krähenbühl & Koltun's dense-CRF code implements it (`Permutohedral::init` / `compute`, the code pydensecrf wraps):
1. **Embed.** Each feature vector f ∈ R^d (already divided by the kernel widths) is scaled and lifted onto the
   hyperplane Σ x = 0 of R^{d+1}, where the lattice's vertices are the integer points whose coordinates are all
   congruent mod d+1.
2. **Splat.** The point lies in one simplex of the lattice; its value is shared among the simplex's d+1 corners
   with barycentric weights.
3. **Blur.** Along each of the d+1 lattice directions, every vertex becomes v + ½(v₋ + v₊): a [1 2 1] kernel,
   whose d+1 passes together approximate a Gaussian of standard deviation 1 in feature units.
4. **Slice.** Each point reads back the barycentric mix of its corners.
Only vertices that some point touches exist (a hash table in C++; a sort of packed integer keys here), so the cost
is O(N·d) per filtering whatever the kernel width; the exact Gaussian sum costs O(N²). Splat and slice are sparse
matrices (CSR), the blur is two row gathers per axis, so it runs on whatever device the features are on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

_MAX_CODE = 2**62  # packed keys must fit an int64


@dataclass(frozen=True, eq=False)
class Lattice:
    """The lattice of one point set: which vertices each point splats to, and each vertex's neighbours."""

    corners: torch.Tensor  # (N, d+1) int64: vertex index of each point's d+1 simplex corners
    weights: torch.Tensor  # (N, d+1) float32: barycentric weights (each row sums to 1)
    neighbours: torch.Tensor  # (d+1, 2, M) int64: the two neighbours along each axis; M = "none"
    vertices: int  # M
    order: torch.Tensor  # (N·(d+1),) the (point, corner) entries, flattened point-major, sorted by vertex
    counts: torch.Tensor  # (M,) entries per vertex

    def filter(self, values: torch.Tensor) -> torch.Tensor:
        """(N, C) → (N, C): each point's Gaussian-weighted sum of every point's values (its own included)."""
        ones = torch.ones(values.shape[0], device=values.device)
        return LatticeFilter.of([self], [ones], [ones])(values).clone()


@dataclass(frozen=True, eq=False)
class LatticeFilter:
    """v ↦ Σ_k out_k ⊙ K_k(in_k ⊙ v): several lattices' filters with per-point scales, summed, done as one splat,
    one blur and one slice over the lattices' vertices side by side."""

    splat: torch.Tensor  # (M, N) sparse CSR
    slice: torch.Tensor  # (N, M) sparse CSR
    neighbours: torch.Tensor  # (A, 2, M) int64, M = the zero row
    _buffers: dict = field(default_factory=dict, repr=False)  # per channel count, reused: fresh pages cost more

    @staticmethod
    def of(lattices: Sequence[Lattice], scale_in: Sequence[torch.Tensor], scale_out: Sequence[torch.Tensor]):
        n = lattices[0].corners.shape[0]
        total = sum(lat.vertices for lat in lattices)
        axes = max(lat.neighbours.shape[0] for lat in lattices)
        bases = [sum(lat.vertices for lat in lattices[:k]) for k in range(len(lattices))]
        corners = torch.cat([lat.corners + base for lat, base in zip(lattices, bases, strict=True)], dim=1)
        w_out = torch.cat([lat.weights * s[:, None] for lat, s in zip(lattices, scale_out, strict=True)], dim=1)
        alphas = torch.cat([lat.weights.new_full((lat.weights.shape[1],), _alpha(lat)) for lat in lattices])
        per_point = corners.shape[1]
        counts = torch.cat([lat.counts for lat in lattices])
        columns = torch.cat([lat.order // lat.weights.shape[1] for lat in lattices])  # the point of each entry
        w_splat = torch.cat(
            [(lat.weights * s[:, None]).reshape(-1)[lat.order] for lat, s in zip(lattices, scale_in, strict=True)]
        )
        rows = torch.arange(0, n * per_point + 1, per_point, device=corners.device)
        with warnings.catch_warnings():  # "sparse CSR support is in beta": the two operations used here are not
            warnings.simplefilter("ignore", UserWarning)
            crow = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
            splat = torch.sparse_csr_tensor(crow, columns, w_splat, (total, n))
            slice_ = torch.sparse_csr_tensor(rows, corners.reshape(-1), (w_out * alphas).reshape(-1), (n, total))
        neighbours = torch.full((axes, 2, total), total, dtype=torch.int64, device=corners.device)
        for lat, base in zip(lattices, bases, strict=True):
            own = lat.neighbours
            block = torch.where(own == lat.vertices, total, own + base)
            neighbours[: own.shape[0], :, base : base + lat.vertices] = block  # extra axes: no neighbours, no blur
        return LatticeFilter(splat, slice_, neighbours)

    def __call__(self, values: torch.Tensor) -> torch.Tensor:
        """(N, C) → (N, C). The result is a buffer the next call with the same C overwrites."""
        m, c = self.splat.shape[0], values.shape[1]
        if c not in self._buffers:
            grid = values.new_zeros(m + 1, c)  # row m stays 0: the value of a missing neighbour
            self._buffers[c] = (grid, values.new_empty(m, c), values.new_empty(m, c))
        grid, left, right = self._buffers[c]
        torch.mm(self.splat, values, out=grid[:m])  # splat: (M, C)
        for n1, n2 in self.neighbours:  # blur, axis by axis: v ← v + ½(v₋ + v₊), from the old values
            torch.index_select(grid, 0, n1, out=left)
            torch.index_select(grid, 0, n2, out=right)
            grid[:m].add_(left.add_(right), alpha=0.5)
        return self.slice @ grid[:m]  # slice: (N, C)


def _alpha(lattice: Lattice) -> float:
    """The C++ code's "magic scaling constant" 1 / (1 + 2^−d) (it cancels under symmetric normalisation)."""
    return 1.0 / (1.0 + 2.0 ** -(lattice.weights.shape[1] - 1))


def _elevate(features: torch.Tensor) -> torch.Tensor:
    """(N, d) → (N, d+1) on the hyperplane Σx = 0, scaled so the lattice blur has standard deviation 1."""
    n, d = features.shape
    inv_std = math.sqrt(2.0 / 3.0) * (d + 1)
    scale = torch.tensor(
        [inv_std / math.sqrt((i + 2) * (i + 1)) for i in range(d)], dtype=torch.float32, device=features.device
    )
    cf = features.float() * scale  # (N, d)
    suffix = cf.flip(1).cumsum(1).flip(1)  # (N, d): suffix[:, k] = Σ_{i ≥ k} cf_i
    after = torch.cat([suffix[:, 1:], cf.new_zeros(n, 1)], dim=1)  # (N, d): Σ_{i > k} cf_i
    index = torch.arange(1, d + 1, dtype=torch.float32, device=features.device)
    return torch.cat([suffix[:, :1], after - index * cf], dim=1)  # (N, d+1)


def _simplex(elevated: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The nearest remainder-0 point, each coordinate's rank, and the barycentric weights (Adams et al., p. 5-10)."""
    n, d1 = elevated.shape
    d = d1 - 1
    down = 1.0 / d1
    v = elevated * down
    up_point, down_point = torch.ceil(v) * d1, torch.floor(v) * d1
    rem0 = torch.where(up_point - elevated < elevated - down_point, up_point, down_point)  # (N, d+1)
    total = torch.round(rem0 * down).sum(1, keepdim=True)  # (N, 1) how far off the plane the rounding landed
    diff = elevated - rem0  # (N, d+1)
    # rank: position in decreasing order of diff; a stable sort breaks ties by index, as the C++ loop does
    rank = torch.argsort(torch.argsort(-diff, dim=1, stable=True), dim=1).to(torch.float32) + total
    low, high = rank < 0, rank > d
    shift = low.float() - high.float()  # +1 below the range, −1 above: wrap round by d+1
    rank = rank + d1 * shift
    rem0 = rem0 + d1 * shift
    bary = elevated.new_zeros(n, d1 + 1)  # (N, d+2)
    shares = (elevated - rem0) * down
    index = (d - rank).long()
    bary.scatter_add_(1, index, shares)
    bary.scatter_add_(1, index + 1, -shares)
    bary[:, 0] += 1.0 + bary[:, d1]
    return rem0.long(), rank.long(), bary[:, :d1]


def build_lattice(features: torch.Tensor) -> Lattice:
    """The lattice for (N, d) features (each dimension divided by its kernel width).

    A vertex's key is its first d coordinates (the last is implied); corner r of a point's simplex has key
    rem0_i + r − (d+1)·[rank_i > d − r]. Keys are packed into one int64 code, with a margin of d+1 so that the
    neighbours' codes (key ± 1, one coordinate ∓ d) are packed the same way."""
    n, d = features.shape
    d1 = d + 1
    rem0, rank, weights = _simplex(_elevate(features))
    rem0, rank = rem0[:, :d], rank[:, :d]  # (N, d)
    low = int(rem0.min()) - 2 * d1
    radix = int(rem0.max()) + 2 * d1 - low + 1
    if radix**d >= _MAX_CODE:
        raise ValueError(
            f"The features span {radix} lattice cells per dimension, too many to index in {d} dimensions: "
            "use wider kernels (larger sxy / srgb) or a smaller image."
        )
    powers = radix ** torch.arange(d, device=features.device, dtype=torch.int64)  # (d,)
    base = ((rem0 - low) * powers).sum(1, keepdim=True)  # (N, 1) code of rem0
    # S_r = Σ_i powers_i [rank_i ≥ d + 1 − r]: scatter each coordinate's power at d + 1 − rank_i, then cumsum over r
    steps = torch.zeros(n, d1 + 1, dtype=torch.int64, device=features.device)
    steps.scatter_add_(1, d1 - rank, powers.expand(n, d))
    r = torch.arange(d1, device=features.device)
    codes = base + r * powers.sum() - d1 * steps.cumsum(1)[:, :d1]  # (N, d+1)
    ordered, order = torch.sort(codes.reshape(-1))  # one sort: the vertices, and the entries grouped by vertex
    first = torch.ones_like(ordered, dtype=torch.bool)
    first[1:] = ordered[1:] != ordered[:-1]
    vertex = first.cumsum(0) - 1  # (N·(d+1),) vertex index of each sorted entry
    unique = ordered[first]  # (M,) sorted codes
    m = unique.numel()
    corners = torch.empty_like(vertex)
    corners[order] = vertex
    neighbours = torch.empty(d1, 2, m, dtype=torch.int64, device=features.device)
    total = powers.sum()
    for axis in range(d1):
        jump = d1 * powers[axis] if axis < d else 0  # key ∓ 1 everywhere, ± d on the axis: ± (d+1) there
        for side, code in enumerate((unique - total + jump, unique + total - jump)):  # n1, n2 as the C++ names them
            index = torch.searchsorted(unique, code).clamp_max(m - 1)
            neighbours[axis, side] = torch.where(unique[index] == code, index, m)
    return Lattice(corners.reshape(n, d1), weights, neighbours, m, order, torch.bincount(vertex, minlength=m))
