"""Time the app's dense CRF (deeplab_core.maths.crf) beside pydensecrf2 on the same photo and score map.

    python scripts/bench_crf.py [--repeats 7] [--threads N] [--iterations 5] [--classes 21]

Photo: the chelsea sample resized to 500×375 (a PASCAL VOC-sized image). Score map: the photo's luminance cut into
four quantile bands, coarsened like a stride-8 network's (deeplab_core.maths.crf_scene.photo_scene), padded with
near-zero classes to `--classes`. Settings: pydensecrf's README example (the dense_crf defaults). They run
interleaved in one process, so a busy machine slows all alike: `dense_crf` cold (its cached smoothness lattice
cleared first, as for the first photo of a size), `dense_crf` warm (the same call again), pydensecrf2. Wall-clock and
process CPU seconds are printed, median of the repeats, with the share of pixels whose labels agree and the largest
difference of the marginals. `dense_crf` runs on the thread policy's CRF threads (config.thread_policy, one);
`--threads` sets torch's threads outside it. A measurement, not a test: results belong in
docs/BENCHMARKS.md with the machine they were taken on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's packages, run from anywhere

from deeplab_core.config import thread_policy  # noqa: E402
from deeplab_core.maths import crf  # noqa: E402
from deeplab_core.maths.crf_scene import photo_scene  # noqa: E402
from deeplab_core.samples import load_sample  # noqa: E402


def reference(image: np.ndarray, probabilities: np.ndarray, iterations: int) -> np.ndarray:
    import pydensecrf.densecrf as dcrf

    c, h, w = probabilities.shape
    crf = dcrf.DenseCRF2D(w, h, c)
    crf.setUnaryEnergy(np.ascontiguousarray(-np.log(np.clip(probabilities, 1e-8, None)).reshape(c, -1)))
    crf.addPairwiseGaussian(sxy=3, compat=3)
    crf.addPairwiseBilateral(sxy=80, srgb=13, rgbim=np.ascontiguousarray(image), compat=10)
    return np.array(crf.inference(iterations)).reshape(c, h, w)


def timed(fn) -> tuple[float, float, np.ndarray]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch's, outside dense_crf")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--classes", type=int, default=21)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    image = np.array(load_sample("chelsea").convert("RGB").resize((500, 375)))  # writable: pydensecrf needs it
    scene = photo_scene(image)
    probabilities = np.full((args.classes, 375, 500), 1e-6, dtype=np.float32)
    probabilities[: scene.classes] = scene.probabilities
    probabilities /= probabilities.sum(0, keepdims=True)
    cold, warm, theirs = [], [], []
    for _ in range(args.repeats):
        crf._smoothness_lattice.cache_clear()
        cold.append(timed(lambda: crf.dense_crf(image, probabilities, iterations=args.iterations).numpy()))
        warm.append(timed(lambda: crf.dense_crf(image, probabilities, iterations=args.iterations).numpy()))
        theirs.append(timed(lambda: reference(image, probabilities, args.iterations)))
    agree = float((warm[-1][2].argmax(0) == theirs[-1][2].argmax(0)).mean())
    gap = float(np.abs(warm[-1][2] - theirs[-1][2]).max())
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs visible, load average {load:.2f}; torch {torch.__version__}, "
        f"dense_crf on {thread_policy().crf} thread(s)"
    )
    print(f"500×375, {args.classes} classes, {args.iterations} iterations, {args.repeats} repeats (median)")
    for name, runs in (("dense_crf, cold", cold), ("dense_crf, warm", warm), ("pydensecrf2", theirs)):
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        every = ", ".join(f"{1e3 * r[0]:.0f}" for r in runs)
        print(f"{name:24s} wall {1e3 * wall:7.0f} ms   cpu {1e3 * cpu:7.0f} ms   (wall ms: {every})")
    print(f"labels agree on {agree:.4%} of pixels; marginals differ by at most {gap:.1e}")


if __name__ == "__main__":
    main()
