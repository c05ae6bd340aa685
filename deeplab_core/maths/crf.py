"""The fully connected CRF of DeepLab v1/v2 (Krähenbühl & Koltun, NIPS 2011), in PyTorch, step by step.

Energy over a labelling x of N pixels (Chen et al., ICLR 2015, §4; TPAMI 2018, §3.3):
    E(x) = Σ_i ψ_u(x_i) + Σ_{i<j} μ(x_i, x_j) k(f_i, f_j),      ψ_u(x_i) = −log P(x_i)   (the network's softmax)
    k(f_i, f_j) = w₁ exp(−|p_i−p_j|²/2θα² − |I_i−I_j|²/2θβ²)  +  w₂ exp(−|p_i−p_j|²/2θγ²)
with Potts compatibility μ(l, l') = [l ≠ l']: the appearance (bilateral) kernel pulls pixels of similar colour
and position to the same label, the smoothness kernel removes small isolated regions.
In pydensecrf's words: addPairwiseBilateral(sxy=θα, srgb=θβ, compat=w₁), addPairwiseGaussian(sxy=θγ, compat=w₂).

**Mean-field inference** keeps a factorised Q(x) = Π_i Q_i(x_i) and repeats, for every pixel at once,
    Q_i(l) ∝ exp(−ψ_u(l) + Σ_m w_m Σ_j k̃_m(i, j) Q_j(l))
Summing over all N² pairs is the whole difficulty. Krähenbühl & Koltun filter with the **permutohedral lattice**
(Adams, Baek & Davis, Eurographics 2010): splat every pixel's values onto the d+1 corners of the lattice simplex
around its feature vector, blur along the lattice's d+1 axes with a [1 2 1]/… kernel, slice back. It costs
O(N·d) per pass instead of O(N²), and approximates the Gaussian (the kernel is piecewise linear, slightly
anisotropic, and includes the pair i = j). We do the same steps as their code (as pydensecrf builds it), with
the same symmetric normalisation k̃ = D^{−½} K D^{−½}, D = K·1; `exact_filter` is the readable O(N²) reference.

**Free energy.** The update above is the coordinate-wise minimiser of
    F(Q) = Σ_i Σ_l Q_i(l) ψ_u(l) + Σ_i Σ_l Q_i(l) log Q_i(l) + ½ Σ_m w_m Σ_{i,j} k̃_m(i, j) (1 − Q_i·Q_j)
         = KL(Q ‖ P) − log Z
(the sum over all pairs, i = j included, as the filter computes it). All pixels are updated together, so F need
not fall at every step (Krähenbühl & Koltun, ICML 2013); `dense_crf_steps` reports it so the page can show it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from deeplab_core.config import thread_policy
from deeplab_core.maths.permutohedral import Lattice, LatticeFilter, build_lattice


@dataclass(frozen=True)
class CrfSettings:
    """pydensecrf's names: smoothness kernel (θγ, w₂) and appearance kernel (θα, θβ, w₁)."""

    iterations: int = 5
    sxy_gaussian: float = 3.0  # θγ, pixels
    compat_gaussian: float = 3.0  # w₂
    sxy_bilateral: float = 80.0  # θα, pixels
    srgb_bilateral: float = 13.0  # θβ, colour levels (0..255)
    compat_bilateral: float = 10.0  # w₁


@dataclass(frozen=True, eq=False)
class CrfStep:
    iteration: int  # 0 = the network's own softmax, before any mean-field update
    marginals: torch.Tensor  # (C, H, W) Q after this step
    free_energy: float  # F(Q) as in the module docstring (nats, summed over pixels)
    changed: int  # pixels whose most probable label changed in this step


def _features(image: torch.Tensor, settings: CrfSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 2) positions / θγ and (N, 5) [positions / θα, colours / θβ], pixels in row-major order."""
    h, w, _ = image.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32, device=image.device),
        torch.arange(w, dtype=torch.float32, device=image.device),
        indexing="ij",
    )
    positions = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (N, 2): x, y as pydensecrf orders them
    colours = image.reshape(-1, 3).float()  # (N, 3)
    gaussian = positions / settings.sxy_gaussian
    bilateral = torch.cat([positions / settings.sxy_bilateral, colours / settings.srgb_bilateral], dim=1)
    return gaussian, bilateral


@functools.lru_cache(maxsize=4)
def _smoothness_lattice(h: int, w: int, sxy: float, device: str) -> Lattice:
    """The smoothness kernel's lattice depends on the image's size and θγ, not on its pixels: a page that runs the
    CRF again on the same photo (other settings, or step by step) builds it once. Read-only once built."""
    image = torch.zeros(h, w, 3, dtype=torch.uint8, device=device)
    return build_lattice(_features(image, CrfSettings(sxy_gaussian=sxy))[0])


def pairwise_filter(image: torch.Tensor, settings: CrfSettings) -> LatticeFilter:
    """q ↦ Σ_m w_m k̃_m q for (N, C) marginals: both kernels, normalised as pydensecrf's NORMALIZE_SYMMETRIC
    (k̃ = D^{−½} K D^{−½}, D = K·1), folded into one lattice filter built once and reused by every iteration."""
    h, w, _ = image.shape
    features = _features(image, settings)
    smoothness = _smoothness_lattice(h, w, float(settings.sxy_gaussian), str(image.device))
    unit = LatticeFilter.of([smoothness, build_lattice(features[1])])  # K_m unscaled, side by side
    norm = (unit.each(features[0].new_ones(features[0].shape[0])) + 1e-20).rsqrt()  # (N, 2) D_m^{−½}
    weights = (settings.compat_gaussian, settings.compat_bilateral)
    return unit.scaled([norm[:, 0], norm[:, 1]], [weights[0] * norm[:, 0], weights[1] * norm[:, 1]])


@contextmanager
def _cpu_threads(device: torch.device):
    """On a CPU, run with the server's CRF threads (`config.thread_policy().crf`, one), then restore the setting.
    The CRF is ~60 short, memory-bound operations per iteration: a second thread gains little, and on a busy machine
    OpenMP threads that wait for each other made it 9× slower (docs/BENCHMARKS.md, "Dense CRF"). Callers that share
    the process with other inference take turns with it (the pages run it through lessons.parts.runner)."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(thread_policy().crf)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check(image: torch.Tensor, probabilities: torch.Tensor) -> None:
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3), got {tuple(image.shape)}")
    if probabilities.ndim != 3 or tuple(probabilities.shape[1:]) != tuple(image.shape[:2]):
        raise ValueError(f"probabilities must be (C, H, W) with the image's H, W; got {tuple(probabilities.shape)}")


def _as_tensor(array: np.ndarray | torch.Tensor) -> torch.Tensor:
    return array if isinstance(array, torch.Tensor) else torch.from_numpy(np.array(array))  # a writable copy


def _prepare(image, probabilities, settings: CrfSettings) -> tuple[torch.Tensor, LatticeFilter]:
    image, probabilities = _as_tensor(image), _as_tensor(probabilities)
    _check(image, probabilities)
    c = probabilities.shape[0]
    p = probabilities.to(torch.float32).reshape(c, -1).T.contiguous()  # (N, C), pixels in row-major order
    log_p = torch.log(p.clamp_min(1e-8))  # (N, C) −ψ_u, clipped as pydensecrf's unary_from_softmax does
    return log_p, pairwise_filter(image.to(probabilities.device), settings)


def dense_crf_steps(
    image: np.ndarray | torch.Tensor, probabilities: np.ndarray | torch.Tensor, settings: CrfSettings = CrfSettings()
) -> Iterator[CrfStep]:
    """Mean-field inference one step at a time: step 0 is the network's softmax alone, then one per iteration.

    Runs on the device of `probabilities` (CPU or CUDA); `image` is uint8 (H, W, 3), `probabilities` (C, H, W)."""
    c, h, w = probabilities.shape
    device = _as_tensor(probabilities).device
    with torch.inference_mode(), _cpu_threads(device):  # never held across a yield: the caller runs between
        log_p, message = _prepare(image, probabilities, settings)
        total = float(message(log_p.new_ones(log_p.shape[0], 1)).sum())  # Σ_m w_m Σ_ij k̃_m(i, j)
        q = _softmax(log_p)  # (N, C)
        labels = q.argmax(1)  # (N,)
        messages = message(q)  # (N, C) Σ_m w_m k̃_m q
        step = CrfStep(0, q.T.reshape(c, h, w).clone(), _free_energy(q, log_p, messages, total), 0)
    yield step
    for iteration in range(1, settings.iterations + 1):
        with torch.inference_mode(), _cpu_threads(device):
            q = _softmax(messages.add_(log_p))  # (N, C) Potts: each label is pulled by its own mass
            messages = message(q)
            new_labels = q.argmax(1)  # (N,)
            changed = int((new_labels != labels).sum())
            labels = new_labels
            step = CrfStep(iteration, q.T.reshape(c, h, w).clone(), _free_energy(q, log_p, messages, total), changed)
        yield step


def _softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the classes of (N, C) logits (torch's fused kernel: one pass, 1.7× faster here than the
    max-subtract-exp-divide sequence in place)."""
    return torch.softmax(x, dim=1)


def _free_energy(q: torch.Tensor, log_p: torch.Tensor, messages: torch.Tensor, total: float) -> float:
    """F(Q) = E_Q[ψ_u] − H(Q) + ½ Σ_m w_m Σ_ij k̃_m(i, j)(1 − Q_i·Q_j)."""
    expected_unary = -(q * log_p).sum()
    negative_entropy = torch.special.xlogy(q, q).sum()
    pairwise = 0.5 * (total - (q * messages).sum())
    return float(expected_unary + negative_entropy + pairwise)


def dense_crf(
    image: np.ndarray | torch.Tensor,
    probabilities: np.ndarray | torch.Tensor,
    *,
    iterations: int = 5,
    sxy_gaussian: float = 3,
    compat_gaussian: float = 3,
    sxy_bilateral: float = 80,
    srgb_bilateral: float = 13,
    compat_bilateral: float = 10,
) -> torch.Tensor:
    """The marginals Q (C, H, W) after `iterations` mean-field steps; parameters as pydensecrf's
    addPairwiseGaussian(sxy, compat) and addPairwiseBilateral(sxy, srgb, compat) (Potts compatibility)."""
    settings = CrfSettings(iterations, sxy_gaussian, compat_gaussian, sxy_bilateral, srgb_bilateral, compat_bilateral)
    c, h, w = probabilities.shape
    with torch.inference_mode(), _cpu_threads(_as_tensor(probabilities).device):
        log_p, message = _prepare(image, probabilities, settings)
        q = _softmax(log_p)  # (N, C)
        for _ in range(iterations):
            q = _softmax(message(q).add_(log_p))  # (N, C)
    return q.T.reshape(c, h, w).clone()


def exact_filter(features: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """The reference the lattice approximates: Σ_j exp(−|f_i − f_j|²/2) v_j for every i, by brute force, O(N²).

    features (N, d) already divided by the kernel widths, values (N, C); only for small N."""
    distances = torch.cdist(features, features).square()  # (N, N)
    return torch.exp(-0.5 * distances) @ values  # (N, C)


@dataclass(frozen=True, eq=False)
class CrfTrace:
    """What a page shows of one run: the label map after every step, the free energy, the changes, the time."""

    labels: np.ndarray  # (T + 1, H, W) int64: most probable label after each step (0: the network's own)
    free_energy: tuple[float, ...]
    changed: tuple[int, ...]  # pixels whose label changed in each step (0 for step 0)
    seconds: float  # wall-clock time of the whole run, free-energy bookkeeping included
    device: str

    def changed_mask(self, step: int) -> np.ndarray:
        """(H, W) bool: the pixels step `step` relabelled."""
        return self.labels[step] != self.labels[max(step - 1, 0)]


def crf_trace(
    image: np.ndarray | torch.Tensor, probabilities: np.ndarray | torch.Tensor, settings: CrfSettings
) -> CrfTrace:
    """dense_crf_steps, summarised for display (on the device of `probabilities`)."""
    start = time.perf_counter()
    steps = [
        (step.marginals.argmax(0).cpu().numpy(), step.free_energy, step.changed)
        for step in dense_crf_steps(image, probabilities, settings)
    ]
    device = probabilities.device.type if isinstance(probabilities, torch.Tensor) else "cpu"
    return CrfTrace(
        np.stack([labels for labels, _, _ in steps]),
        tuple(energy for _, energy, _ in steps),
        tuple(changed for _, _, changed in steps),
        time.perf_counter() - start,
        device,
    )
