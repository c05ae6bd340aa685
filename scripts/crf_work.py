"""Measure what one unit of dense-CRF work (one pixel × one class × one mean-field iteration) costs in network
multiply-accumulates on this machine: the constant `config.CRF_MACS_PER_UNIT` that puts the photo CRF under the same
workload bound as the networks (deeplab_core.nets.workload).

    python scripts/crf_work.py [--repeats 3]

Interleaved in one process, so a busy machine slows both alike: DeepLabv3-ResNet-50 (random weights, eager torch on
the server's torch threads, as the CRF page's unary runs) on a 320×427 photo, whose MACs the workload module counts,
and the page's CRF (`crf_trace`, 21 classes, on the CRF's thread) on 320-pixel-high photos of two widths and two
iteration counts. Printed: network MACs per second, each CRF run in network MACs, and a least-squares fit of
time = a·pixels + b·pixels·classes·iterations (the lattices are built once per pixel; every iteration costs per
pixel and class) converted to MACs: the two constants. A measurement, not a test: results
belong in docs/BENCHMARKS.md with the machine and its load.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deeplab_core.config import thread_policy  # noqa: E402
from deeplab_core.maths.crf import CrfSettings, crf_trace  # noqa: E402
from deeplab_core.nets.model import load_model  # noqa: E402
from deeplab_core.nets.workload import Work  # noqa: E402

CLASSES = 21
SIZES = ((320, 427), (320, 1280))  # (h, w): a 4:3 photo, and the longest the CRF page lets through (1:4)
ITERATIONS = (2, 10)


def network_seconds(model, h: int, w: int) -> float:
    x = torch.randn(1, 3, h, w)
    start = time.perf_counter()
    with torch.inference_mode():
        model.net(x)
    return time.perf_counter() - start


def crf_seconds(h: int, w: int, iterations: int, rng: np.random.Generator) -> float:
    image = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    logits = torch.from_numpy(rng.normal(size=(CLASSES, h // 8 + 1, w // 8 + 1)).astype(np.float32))
    up = torch.nn.functional.interpolate(logits[None], size=(h, w), mode="bilinear")[0]
    return crf_trace(image, torch.softmax(up, 0), CrfSettings(iterations=iterations)).seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    torch.set_num_threads(thread_policy().torch)
    model = load_model("resnet50", weights="random", device="cpu")
    h, w = 320, 427
    macs = Work("resnet50", None, h, w).macs
    rng = np.random.default_rng(0)
    network_seconds(model, h, w)  # warm-up
    net, rows = [], []
    for _ in range(args.repeats):
        net.append(network_seconds(model, h, w))
        for ch, cw in SIZES:
            for iterations in ITERATIONS:
                rows.append((ch * cw, ch * cw * CLASSES * iterations, crf_seconds(ch, cw, iterations, rng)))
    macs_per_s = macs / statistics.median(net)
    design = np.array([[pixels, units] for pixels, units, _ in rows], float)
    a, b = np.linalg.lstsq(design, np.array([seconds for *_, seconds in rows]), rcond=None)[0]
    print(f"network: {macs / 1e9:.1f} GMACs in {statistics.median(net):.2f} s (median): {macs_per_s / 1e9:.1f} G/s")
    for pixels, units, seconds in rows[: len(SIZES) * len(ITERATIONS)]:
        iterations = units // (pixels * CLASSES)
        print(f"  CRF {pixels:>7} px, {iterations:>2} iterations: {seconds:.2f} s = {seconds * macs_per_s / 1e9:.0f} G")
    print(f"CRF: {a * 1e9:.0f} ns per pixel + {b * 1e9:.0f} ns per pixel·class·iteration")
    print(f"MACs per pixel (CRF_MACS_PER_PIXEL): {a * macs_per_s:,.0f}")
    print(f"MACs per pixel·class·iteration (CRF_MACS_PER_UNIT): {b * macs_per_s:,.0f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
