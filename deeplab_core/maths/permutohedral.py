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
Only vertices that some point touches exist (a hash table in C++; sorted integer keys here), so the cost is O(N·d)
per filtering whatever the kernel width; the exact Gaussian sum costs O(N²).

Built for speed, vectorised over all points at once: neighbouring pixels share a simplex, so the corners are found
once per distinct simplex (a few per cent of the points) and handed back to the points; splat and slice are
sparse matrices (CSR, 32-bit indices, as the sparse kernels take them), the blur is two row gathers per axis over
every lattice's vertices side by side, and all of it is float32. The mean-field loop builds one `LatticeFilter`
and reuses it in every iteration.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch

_MAX_CODE = 2**62  # packed keys must fit an int64


@dataclass(frozen=True, eq=False)
class Lattice:
    """The lattice of one point set: which vertices each point splats to, and each vertex's neighbours."""

    corners: torch.Tensor  # (N, d+1) int32: vertex index of each point's d+1 simplex corners
    weights: torch.Tensor  # (N, d+1) float32: barycentric weights (each row sums to 1)
    neighbours: torch.Tensor  # (d+1, 2, M) int64: the two neighbours along each axis; M = "none"
    vertices: int  # M
    order: torch.Tensor  # (N·(d+1),) int32: the (point, corner) entries, flattened point-major, sorted by vertex
    counts: torch.Tensor  # (M,) entries per vertex

    @functools.cached_property
    def splat_entries(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The point and the weight of each splat entry, in vertex order (kept: a cached lattice reuses them)."""
        return self.order // self.weights.shape[1], self.weights.view(-1).index_select(0, self.order)

    def filter(self, values: torch.Tensor) -> torch.Tensor:
        """(N, C) → (N, C): each point's Gaussian-weighted sum of every point's values (its own included)."""
        return LatticeFilter.of([self])(values).clone()


def _csr(crow: torch.Tensor, columns: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    with warnings.catch_warnings():  # "sparse CSR support is in beta": the two operations used here are not
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow.to(torch.int32), columns.to(torch.int32), values, shape)


@dataclass(frozen=True, eq=False)
class LatticeFilter:
    """v ↦ Σ_k out_k ⊙ K_k(in_k ⊙ v): several lattices' filters with per-point scales, summed, done as one splat,
    one blur and one slice over the lattices' vertices side by side."""

    splat: torch.Tensor  # (M, N) sparse CSR
    slice: torch.Tensor  # (N, M) sparse CSR
    neighbours: torch.Tensor  # (A, 2, M) int64, M = the zero row
    splat_weights: tuple[torch.Tensor, ...]  # per lattice: its splat entries' weights, in the CSR's order
    splat_points: tuple[torch.Tensor, ...]  # per lattice: the point of each of those entries
    slice_weights: tuple[torch.Tensor, ...]  # per lattice: (N, d+1) barycentric weights × the slice constant
    bases: tuple[int, ...]  # first vertex row of each lattice
    spans: tuple[tuple[int, int], ...]  # per blur axis: the rows of the lattices that have that axis
    _buffers: dict = field(default_factory=dict, repr=False)  # per channel count, reused: fresh pages cost more

    @staticmethod
    def of(
        lattices: Sequence[Lattice],
        scale_in: Sequence[torch.Tensor] | None = None,
        scale_out: Sequence[torch.Tensor] | None = None,
    ) -> LatticeFilter:
        """The summed filter of `lattices`; without scales, every K_k unscaled."""
        n = lattices[0].corners.shape[0]
        total = sum(lat.vertices for lat in lattices)
        axes = max(lat.neighbours.shape[0] for lat in lattices)
        bases = tuple(sum(lat.vertices for lat in lattices[:k]) for k in range(len(lattices)))
        counts = torch.cat([lat.counts for lat in lattices])
        crow = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        points = tuple(lat.splat_entries[0] for lat in lattices)  # the point of each splat entry
        splat_weights = tuple(lat.splat_entries[1] for lat in lattices)
        ends = [base + lat.vertices for lat, base in zip(lattices, bases, strict=True)]
        having = [[k for k, lat in enumerate(lattices) if lat.neighbours.shape[0] > a] for a in range(axes)]
        spans = tuple((bases[ks[0]], ends[ks[-1]]) for ks in having)  # a d-dim lattice has d+1 axes, not more
        splat = _csr(crow, torch.cat(points), torch.cat(splat_weights), (total, n))
        per_point = sum(lat.corners.shape[1] for lat in lattices)
        columns = lattices[0].corners.new_empty(n, per_point)  # (N, Σ(d+1)): every lattice's corners of a point
        slice_weights = tuple(lat.weights * _alpha(lat) for lat in lattices)
        start = 0
        for lat, base in zip(lattices, bases, strict=True):
            stop = start + lat.corners.shape[1]
            torch.add(lat.corners, base, out=columns[:, start:stop])
            start = stop
        rows = torch.arange(0, n * per_point + 1, per_point, device=columns.device)
        slice_ = _csr(rows, columns.view(-1), torch.cat(slice_weights, dim=1).view(-1), (n, total))
        neighbours = torch.full((axes, 2, total), total, dtype=torch.int64, device=columns.device)
        for lat, base in zip(lattices, bases, strict=True):
            own = lat.neighbours
            block = torch.where(own == lat.vertices, total, own + base)
            neighbours[: own.shape[0], :, base : base + lat.vertices] = block  # extra axes: no neighbours, no blur
        unit = LatticeFilter(splat, slice_, neighbours, splat_weights, points, slice_weights, bases, spans)
        return unit if scale_in is None or scale_out is None else unit.scaled(scale_in, scale_out)

    def scaled(self, scale_in: Sequence[torch.Tensor], scale_out: Sequence[torch.Tensor]) -> LatticeFilter:
        """The same lattices with per-point scales (N,) before (in_k) and after (out_k) each filter K_k."""
        splat_values = torch.cat(
            [w * s.index_select(0, p) for w, s, p in zip(self.splat_weights, scale_in, self.splat_points, strict=True)]
        )
        slice_values = torch.cat([w * s[:, None] for w, s in zip(self.slice_weights, scale_out, strict=True)], 1)
        splat = _csr(
            self.splat.crow_indices(),
            self.splat.col_indices(),
            splat_values,
            (self.splat.shape[0], self.splat.shape[1]),
        )
        slice_ = _csr(self.slice.crow_indices(), self.slice.col_indices(), slice_values.reshape(-1),
                      (self.slice.shape[0], self.slice.shape[1]))  # fmt: skip
        return replace(self, splat=splat, slice=slice_, _buffers={})

    def each(self, values: torch.Tensor) -> torch.Tensor:
        """(N,) → (N, L): K_k v for every lattice k on its own (the normalisations D_k = K_k·1)."""
        m, lattices = self.splat.shape[0], len(self.bases)
        grid = values.new_zeros(m + 1, lattices)
        own = torch.mm(self.splat, values[:, None])[:, 0]  # (M,) each vertex's splat, whichever its lattice
        for k, (start, stop) in enumerate(zip(self.bases, (*self.bases[1:], m), strict=True)):
            grid[start:stop, k] = own[start:stop]  # channel k holds lattice k's vertices only
        return self.slice @ self._blur(grid, torch.empty_like(grid[:m]), torch.empty_like(grid[:m]))

    def _blur(self, grid: torch.Tensor, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """Axis by axis, every vertex v ← v + ½(v₋ + v₊) from the old values (the last row of `grid` is the zero
        of a missing neighbour); an axis only touches the lattices that have it."""
        for (n1, n2), (start, stop) in zip(self.neighbours, self.spans, strict=True):
            rows = stop - start
            torch.index_select(grid, 0, n1[start:stop], out=left[:rows])
            torch.index_select(grid, 0, n2[start:stop], out=right[:rows])
            grid[start:stop].add_(left[:rows].add_(right[:rows]), alpha=0.5)
        return grid[:-1]

    def __call__(self, values: torch.Tensor) -> torch.Tensor:
        """(N, C) → (N, C). The result is a buffer the next call with the same C overwrites."""
        m, c = self.splat.shape[0], values.shape[1]
        if c not in self._buffers:
            grid = values.new_zeros(m + 1, c)  # row m stays 0: the value of a missing neighbour
            self._buffers[c] = (grid, values.new_empty(m, c), values.new_empty(m, c), values.new_empty(values.shape))
        grid, left, right, out = self._buffers[c]
        torch.mm(self.splat, values, out=grid[:m])  # splat: (M, C)
        return torch.mm(self.slice, self._blur(grid, left, right), out=out)  # blur, then slice: (N, C)


def _alpha(lattice: Lattice) -> float:
    """The C++ code's "magic scaling constant" 1 / (1 + 2^−d) (it cancels under symmetric normalisation)."""
    return 1.0 / (1.0 + 2.0 ** -(lattice.weights.shape[1] - 1))


def _elevate(features: torch.Tensor) -> torch.Tensor:
    """(N, d) → (d+1, N) on the hyperplane Σx = 0, scaled so the lattice blur has standard deviation 1.
    Coordinate-major, here and in `_simplex`: each row is one coordinate of every point, contiguous."""
    n, d = features.shape
    inv_std = math.sqrt(2.0 / 3.0) * (d + 1)
    scale = torch.tensor(
        [inv_std / math.sqrt((i + 2) * (i + 1)) for i in range(d)], dtype=torch.float32, device=features.device
    )
    cf = features.T.float() * scale[:, None]  # (d, N)
    suffix = cf.flip(0).cumsum(0).flip(0)  # (d, N): suffix[k] = Σ_{i ≥ k} cf_i
    elevated = cf.new_empty(d + 1, n)
    elevated[0] = suffix[0]
    elevated[1:d] = suffix[1:] - torch.arange(1, d, dtype=torch.float32, device=features.device)[:, None] * cf[:-1]
    elevated[d] = -d * cf[d - 1]
    return elevated


def _simplex(elevated: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The nearest remainder-0 point, each coordinate's rank, and the barycentric weights (Adams et al., p. 5-10),
    all (d+1, N)."""
    d1, n = elevated.shape
    d = d1 - 1
    down = 1.0 / d1
    v = elevated * down
    floor = torch.floor(v)
    rem0 = floor.add_(v - floor > 0.5).mul_(d1)  # (d+1, N) the nearest multiple of d+1 (ties down, as the C++)
    total = torch.round(rem0 * down).sum(0)  # (N,) how far off the plane the rounding landed
    diff = elevated - rem0  # (d+1, N)
    # rank: position in decreasing order of diff, as the C++ code counts it pair by pair (ties to the lower index)
    small = torch.int8 if 2 * d < 127 else torch.int16  # ranks lie within −d..2d: bytes, a quarter of the traffic
    rank = total.to(small).expand(d1, n).clone()  # (d+1, N)
    for i in range(d1):
        for j in range(i + 1, d1):
            later_larger = diff[i] < diff[j]
            rank[i] += later_larger
            rank[j] += ~later_larger
    wrapped = torch.remainder(rank, d1)  # a rank below 0 or above d wraps round by d+1, and so does its rem0
    rem0 += wrapped - rank
    rank = wrapped
    # barycentric weights: coordinate i's share goes to slot d − rank_i, and its negative to the next slot; the
    # slots d − rank are a permutation, so place the shares once and take differences of neighbouring slots
    placed = elevated.new_zeros(d1 + 1, n)  # (d+2, N)
    placed.scatter_(0, (d - rank).long(), (elevated - rem0) * down)
    bary = placed.clone()
    bary[1:] -= placed[:-1]
    bary[0] += 1.0 + bary[d1]
    return rem0.long(), rank.long(), bary[:d1]


def build_lattice(features: torch.Tensor) -> Lattice:
    """The lattice for (N, d) features (each dimension divided by its kernel width).

    A vertex's key is its first d coordinates (the last is implied); corner r of a point's simplex has key
    rem0_i + r − (d+1)·[rank_i > d − r]. Keys are packed into one int64 code, with a margin of d+1 so that the
    neighbours' codes (key ± 1, one coordinate ∓ d) are packed the same way. Points with the same (rem0, rank)
    lie in the same simplex: the corners are worked out once per simplex."""
    n, d = features.shape
    d1 = d + 1
    device = features.device
    rem0, rank, weights = _simplex(_elevate(features))  # (d+1, N) each
    rem0, rank = rem0[:d], rank[:d]  # (d, N): the last coordinate is implied
    low = int(rem0.min()) - 2 * d1
    radix = int(rem0.max()) + 2 * d1 - low + 1
    if radix**d >= _MAX_CODE:
        raise ValueError(
            f"The features span {radix} lattice cells per dimension, too many to index in {d} dimensions: "
            "use wider kernels (larger sxy / srgb) or a smaller image."
        )
    powers = radix ** torch.arange(d, device=device, dtype=torch.int64)  # (d,)
    base = ((rem0 - low) * powers[:, None]).sum(0)  # (N,) code of rem0
    if radix**d * d1**d < _MAX_CODE:  # one code per simplex: its rem0 and its ranks
        simplex_code = base * d1**d + (rank * d1 ** torch.arange(d, device=device)[:, None]).sum(0)
        _, simplex = torch.unique(simplex_code, return_inverse=True)  # (N,) which distinct simplex
        first = torch.empty(int(simplex.max()) + 1, dtype=torch.int64, device=device)
        first.scatter_(0, simplex, torch.arange(n, device=device))  # a point of each simplex (any: they agree)
    else:  # too wide to pack: every point its own simplex
        simplex, first = torch.arange(n, device=device), torch.arange(n, device=device)
    u = first.numel()
    # S_r = Σ_i powers_i [rank_i ≥ d + 1 − r]: scatter each coordinate's power at d + 1 − rank_i, then cumsum over r
    steps = torch.zeros(u, d1 + 1, dtype=torch.int64, device=device)
    steps.scatter_add_(1, d1 - rank.index_select(1, first).T, powers.expand(u, d))
    r = torch.arange(d1, device=device)
    codes = base.index_select(0, first)[:, None] + r * powers.sum() - d1 * steps.cumsum(1)[:, :d1]  # (U, d+1)
    unique, vertex = torch.unique(codes.reshape(-1), return_inverse=True)  # (M,) sorted codes, (U·(d+1),)
    m = unique.numel()
    corners = vertex.to(torch.int32).view(u, d1).index_select(0, simplex)  # (N, d+1)
    neighbours = torch.empty(d1, 2, m, dtype=torch.int64, device=device)
    total = powers.sum()
    for axis in range(d1):
        jump = d1 * powers[axis] if axis < d else 0  # key ∓ 1 everywhere, ± d on the axis: ± (d+1) there
        for side, code in enumerate((unique - total + jump, unique + total - jump)):  # n1, n2 as the C++ names them
            index = torch.searchsorted(unique, code).clamp_max(m - 1)
            neighbours[axis, side] = torch.where(unique[index] == code, index, m)
    flat = corners.reshape(-1)
    key = flat.to(torch.int16 if m < 2**15 else torch.int32)  # a stable sort of small integers is a radix sort
    order = torch.argsort(key, stable=True).to(torch.int32)  # the (point, corner) entries grouped by vertex
    return Lattice(corners, weights.T.contiguous(), neighbours, m, order, torch.bincount(flat, minlength=m))
