"""`python -m deeplab_core.bench [--device D] [--models ...]`: the project's pipeline against torchvision's recipe.

For each model, on one device, in one process, runs interleaved (so a busy machine slows both alike):
- reference: `weights.transforms()` → `model(x)["out"]` in float32, eager → upsample → softmax → max;
- pipeline:  `deeplab_core.nets.segmentation.segment` on the `inference_copy` of the same model (same weights).
It reports median latencies, their ratio, the share of pixels whose labels agree, and the pipeline's arithmetic
rate as a fraction of "peak" — where peak means the rate of a large matrix product measured in the same run
(float32 on a CPU, float16 on a GPU), not the vendor's datasheet figure.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from deeplab_core.config import MODEL_NAMES
from deeplab_core.nets.checkpoints import is_cached
from deeplab_core.nets.device import cpu_model, describe_device, resolve_device, synchronize
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.model import DeepLab, load_model
from deeplab_core.nets.segmentation import preprocess, reference_segment, segment
from deeplab_core.samples import load_sample


@dataclass(frozen=True)
class BenchResult:
    name: str
    weights: str  # "pretrained" or "random"
    reference_ms: float  # median
    pipeline_ms: float  # median
    agreement: float  # share of pixels with the same label
    macs: int  # multiply-accumulates of one forward pass, counted by FlopCounterMode
    peak_fraction: float  # pipeline's 2·MACs per second over the measured matmul rate

    @property
    def speedup(self) -> float:
        return self.reference_ms / self.pipeline_ms


def _time_ms(fn: Callable[[], object], device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return 1e3 * (time.perf_counter() - start)


def matmul_peak(device: torch.device, size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of the fastest of `repeats` size×size matrix products (float16 on a GPU, float32 elsewhere)."""
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    a = torch.randn(size, size, device=device, dtype=dtype)  # (n, n)
    b = torch.randn(size, size, device=device, dtype=dtype)  # (n, n)
    a @ b  # warm-up
    best = min(_time_ms(lambda: a @ b, device) for _ in range(repeats))
    return 2 * size**3 / (best / 1e3)


def count_macs(model: DeepLab, image: Image.Image, short_side: int | None = None) -> int:
    device = model.device
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        x = preprocess(image, model.spec, short_side or model.spec.resize_size, device)  # (1, 3, h, w)
        model.net(x)
    return counter.get_total_flops() // 2


def bench_model(
    name: str, image: Image.Image, device: torch.device, repeats: int, peak: float, short_side: int | None = None
) -> BenchResult:
    weights = "pretrained" if is_cached(name) else "random"
    torch.manual_seed(0)
    reference = load_model(name, weights=weights, device=device)
    fast = inference_copy(reference, device)
    ref_labels, _ = reference_segment(reference, image, short_side=short_side)  # warm-up, and the parity labels
    seg = segment(fast, image, short_side=short_side)
    ref_times, fast_times = [], []
    for _ in range(repeats):
        ref_times.append(_time_ms(lambda: reference_segment(reference, image, short_side=short_side), device))
        fast_times.append(_time_ms(lambda: segment(fast, image, short_side=short_side), device))
    macs = count_macs(reference, image, short_side)
    pipeline_ms = statistics.median(fast_times)
    return BenchResult(
        name=name,
        weights=weights,
        reference_ms=statistics.median(ref_times),
        pipeline_ms=pipeline_ms,
        agreement=float(np.mean(seg.labels == ref_labels)),
        macs=macs,
        peak_fraction=2 * macs / (pipeline_ms / 1e3) / peak,
    )


def report(results: Sequence[BenchResult], device: torch.device, peak: float, image: Image.Image) -> str:
    info = describe_device(device)
    lines = [
        f"device: {info.name} ({device.type}); CPU: {cpu_model()}, {torch.get_num_threads()} threads; "
        f"torch {info.torch_version}, torchvision {info.torchvision_version}",
        f"photo: {image.width}×{image.height}; peak = measured large-matmul rate: {peak / 1e9:.1f} GFLOP/s",
        "",
        "| model | weights | reference ms | pipeline ms | speed-up | pixel agreement | GMACs | % of peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.weights} | {r.reference_ms:.0f} | {r.pipeline_ms:.0f} | {r.speedup:.2f}× | "
            f"{r.agreement:.4%} | {r.macs / 1e9:.1f} | {r.peak_fraction:.1%} |"
        )
    if any(r.weights == "random" for r in results):
        lines.append(
            "\nrandom weights: the pretrained file is not cached. Timings and MACs are those of the real "
            "network; the agreement is still a parity check of the two pipelines on the same weights."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deeplab_core.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_NAMES,
        default=None,
        help="default: mobilenet_v3_large on a CPU, all three on a GPU",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each pipeline (median reported)")
    parser.add_argument("--sample", default="astronaut", help="sample photo (deeplab_core.samples)")
    parser.add_argument("--short-side", type=int, default=None, help="network input short side (default 520)")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    models = args.models or (["mobilenet_v3_large"] if device.type == "cpu" else list(MODEL_NAMES))
    image = load_sample(args.sample)
    peak = matmul_peak(device)
    results = [bench_model(name, image, device, args.repeats, peak, args.short_side) for name in models]
    print(report(results, device, peak, image))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
