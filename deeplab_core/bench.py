"""`python -m deeplab_core.bench [--device D] [--models ...] [--contended]`: the segment page's path against
torchvision's recipe.

For each model, on one device, in one process, runs interleaved (so a busy machine slows all alike):
- reference: `weights.transforms()` → `model(x)["out"]` in float32, eager, with torch's default threads (one per
  usable core) → upsample → softmax → max;
- torch copy: `segment` on the `inference_copy` (BatchNorm folded, channels_last, trimmed ASPP) with the thread
  policy's torch threads — what the page ran before the engine, and what it runs on a GPU;
- page path: `segment(fast_model(model), photo)` — ONNX Runtime on a CPU (the policy's engine threads), the torch
  copy on a GPU.
`--contended` runs every model a second time with one core busy in another process (a pure-Python loop, started
and stopped here), the way a classroom server always has something else running. It reports median latencies,
speed-ups against the reference measured in the same run, the share of pixels whose page-path labels equal the
reference's, the page path's logits' largest error relative to the reference's largest logit, and the arithmetic
rate as a fraction of "peak" — the rate of a large matrix product measured in the same run (float32 on a CPU,
float16 on a GPU), not a datasheet figure. The output is Markdown, ready for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from deeplab_core.budget import network_size
from deeplab_core.config import MODEL_NAMES, ThreadPolicy
from deeplab_core.nets.checkpoints import is_cached
from deeplab_core.nets.device import apply_thread_policy, cpu_model, describe_device, resolve_device, synchronize
from deeplab_core.nets.engine import Engine, fast_model
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.model import DeepLab, load_model
from deeplab_core.nets.segmentation import preprocess, reference_logits, reference_segment, segment
from deeplab_core.samples import load_sample

QUIET, BUSY = "quiet", "one core busy"


@dataclass(frozen=True)
class BenchResult:
    name: str
    weights: str  # "pretrained" or "random"
    machine: str  # QUIET or BUSY
    reference_ms: float  # median
    torch_ms: float | None  # median of the torch copy; None where it is the page path itself (a GPU)
    pipeline_ms: float  # median of the page path
    agreement: float  # share of pixels whose page-path label is the reference's
    logits_error: float  # max |page logits − reference logits| / max |reference logits|
    macs: int  # multiply-accumulates of one forward pass, counted by FlopCounterMode
    peak_fraction: float  # page path's 2·MACs per second over the measured matmul rate

    @property
    def speedup(self) -> float:
        return self.reference_ms / self.pipeline_ms


def _time_ms(fn: Callable[[], object], device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return 1e3 * (time.perf_counter() - start)


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def one_core_busy() -> Iterator[None]:
    """Another process spinning on one core for the length of the block (pure Python: one core, no more)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # let it start spinning before the first timed run
        yield
    finally:
        spinner.kill()
        spinner.wait()


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


def page_logits(page: DeepLab | Engine, image: Image.Image, short_side: int) -> torch.Tensor:
    """(1, C, h, w) float32 logits of the page path's network on the page's input."""
    x = preprocess(image, page.spec, short_side, page.device)  # (1, 3, h, w)
    if isinstance(page, Engine):
        return torch.from_numpy(page.logits(x.contiguous().numpy()))
    with torch.inference_mode(), torch.autocast(page.device.type, torch.float16, enabled=page.device.type == "cuda"):
        return page.net(x)["out"].float()


def bench_model(
    name: str,
    image: Image.Image,
    device: torch.device,
    repeats: int,
    peak: float,
    short_side: int | None = None,
    machines: Sequence[str] = (QUIET,),
) -> list[BenchResult]:
    policy = apply_thread_policy()
    weights = "pretrained" if is_cached(name) else "random"
    torch.manual_seed(0)
    reference = load_model(name, weights=weights, device=device)
    short = short_side or reference.spec.resize_size
    page = fast_model(reference, device)
    copy = inference_copy(reference, device) if isinstance(page, Engine) else None
    with torch_threads(policy.cores):
        ref_labels, _ = reference_segment(reference, image, short_side=short)  # warm-up, and the parity labels
        expected = reference_logits(reference, image, short_side=short).float().cpu()
    seg = segment(page, image, short_side=short)  # warm-up
    got = page_logits(page, image, short).cpu()
    error = float((got - expected).abs().max() / expected.abs().max().clamp_min(1e-12))
    macs = count_macs(reference, image, short_side)
    results = []
    for machine in machines:
        times: dict[str, list[float]] = {"reference": [], "torch": [], "page": []}
        with one_core_busy() if machine == BUSY else nullcontext():
            if copy is not None:
                segment(copy, image, short_side=short)  # warm-up
            for _ in range(repeats):
                with torch_threads(policy.cores):
                    times["reference"].append(
                        _time_ms(lambda: reference_segment(reference, image, short_side=short), device)
                    )
                if copy is not None:
                    times["torch"].append(_time_ms(lambda: segment(copy, image, short_side=short), device))
                times["page"].append(_time_ms(lambda: segment(page, image, short_side=short), device))
        pipeline_ms = statistics.median(times["page"])
        results.append(
            BenchResult(
                name=name,
                weights=weights,
                machine=machine,
                reference_ms=statistics.median(times["reference"]),
                torch_ms=statistics.median(times["torch"]) if copy is not None else None,
                pipeline_ms=pipeline_ms,
                agreement=float(np.mean(seg.labels == ref_labels)),
                logits_error=error,
                macs=macs,
                peak_fraction=2 * macs / (pipeline_ms / 1e3) / peak,
            )
        )
    return results


def header(device: torch.device, policy: ThreadPolicy, peak: float, image: Image.Image, short_side: int) -> str:
    info = describe_device(device)
    h, w = network_size(image.width, image.height, short_side)
    return "\n".join(
        [
            f"device: {info.name} ({device.type}); CPU: {cpu_model()}, {policy.cores} usable cores; "
            f"torch {info.torch_version}, torchvision {info.torchvision_version}; page path: {info.engine}",
            f"threads: reference {policy.cores} (torch's default), torch copy {policy.torch}, "
            f"engine {policy.engine} (config.thread_policy)",
            f"photo: {image.width}×{image.height} (network input {w}×{h}); "
            f"peak = measured large-matmul rate: {peak / 1e9:.1f} GFLOP/s",
        ]
    )


def report(results: Sequence[BenchResult], head: str, loads: tuple[float, float] | None = None) -> str:
    lines = [head]
    if loads is not None:
        lines.append(f"load average (1 min): {loads[0]:.2f} at the start, {loads[1]:.2f} at the end")
    lines += [
        "",
        "| model | weights | machine | reference ms | torch copy ms | page path ms | speed-up | labels equal "
        "| logits rel. error | GMACs | % of peak |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        torch_ms = f"{r.torch_ms:.0f}" if r.torch_ms is not None else "—"
        lines.append(
            f"| {r.name} | {r.weights} | {r.machine} | {r.reference_ms:.0f} | {torch_ms} | {r.pipeline_ms:.0f} | "
            f"{r.speedup:.2f}× | {r.agreement:.4%} | {r.logits_error:.1e} | {r.macs / 1e9:.1f} | "
            f"{r.peak_fraction:.1%} |"
        )
    quiet = {r.name: r for r in results if r.machine == QUIET}
    busy = [r for r in results if r.machine == BUSY and r.name in quiet]
    if busy:
        ratios = ", ".join(f"{r.name} {r.pipeline_ms / quiet[r.name].pipeline_ms:.2f}×" for r in busy)
        lines.append(f"\npage path with one core busy, against its quiet latency: {ratios}")
    if any(r.weights == "random" for r in results):
        lines.append(
            "\nrandom weights: the pretrained file is not cached. Timings and MACs are those of the real "
            "network; the agreement is still a parity check of the paths on the same weights."
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
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each path (median reported)")
    parser.add_argument("--sample", default="astronaut", help="sample photo (deeplab_core.samples)")
    parser.add_argument("--short-side", type=int, default=None, help="network input short side (default 520)")
    parser.add_argument("--contended", action="store_true", help="also run with one core busy in another process")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    models = args.models or (["mobilenet_v3_large"] if device.type == "cpu" else list(MODEL_NAMES))
    image = load_sample(args.sample)
    policy = apply_thread_policy()
    start_load = os.getloadavg()[0]
    with torch_threads(policy.cores):
        peak = matmul_peak(device)
    machines = (QUIET, BUSY) if args.contended else (QUIET,)
    results = [
        r for name in models for r in bench_model(name, image, device, args.repeats, peak, args.short_side, machines)
    ]
    head = header(device, policy, peak, image, args.short_side or 520)
    print(report(results, head, (start_load, os.getloadavg()[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
