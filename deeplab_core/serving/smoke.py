"""The service's proof: a local Serve app, N requests at once, every label map against the in-process pipeline.

Random weights are saved to a temporary state dict and loaded through the real path (`load_model(weights=path)`)
on both sides. The photos are the shipped samples at two short sides, so a batch mixes network input sizes and
must group them. Each reply is compared with `segment(fast_model(model), photo, short_side=...)`, what the segment
page runs in-process: labels equal to the pixel, confidence within float16's rounding. TORCH_HOME points into the
temporary folder meanwhile (for this process and the local cluster it starts), so the engine's exports of the
throwaway weights never reach the real cache.
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from deeplab_core.config import NO_MULTI_GRID, RESNETS, TRAIN_OUTPUT_STRIDE
from deeplab_core.errors import LabError
from deeplab_core.nets.engine import fast_model
from deeplab_core.nets.model import load_model, set_output_stride
from deeplab_core.nets.segmentation import Segmentation, segment
from deeplab_core.samples import load_sample
from deeplab_core.serving.client import Served, Service
from deeplab_core.serving.messages import Ask
from deeplab_core.serving.settings import ServeSettings, from_env

PHOTOS = ("chelsea", "coffee", "astronaut", "grace_hopper")  # four shapes: landscape, square, portrait
SHORT_SIDES = (320, 520)
CONFIDENCE_ATOL = 1e-3  # float16 on the wire: 2^-11 relative, below 5e-4 for a probability


@dataclass(frozen=True)
class Outcome:
    index: int
    served: Served | None
    error: str = ""
    differing: int = 0  # pixels whose label differs from the in-process one
    confidence_error: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def batch_counts(outcomes: list[Outcome]) -> dict[int, int]:
    """{batch size: how many batches of that size}: each request reports the size of the batch it ran in."""
    seen = Counter(o.served.batch for o in outcomes if o.served is not None)
    return {size: round(count / size, 2) for size, count in sorted(seen.items(), reverse=True)}  # type: ignore[misc]


@contextmanager
def _torch_home(folder: str) -> Iterator[None]:
    before = os.environ.get("TORCH_HOME")
    os.environ["TORCH_HOME"] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TORCH_HOME", None)
        else:
            os.environ["TORCH_HOME"] = before


def smoke(
    requests: int = 16, *, model: str = "mobilenet_v3_large", timing: bool = False, out: Callable[[str], None] = print
) -> int:
    """0 when every one of `requests` concurrent requests was answered with the in-process labels, else 1.

    `timing`: compare warm speeds (every photo once through each side first, untimed), for throughput figures."""
    cases = [(load_sample(name), side) for side in SHORT_SIDES for name in PHOTOS]
    stride = TRAIN_OUTPUT_STRIDE if model in RESNETS else None  # a ResNet at DeepLabv3's training stride
    with tempfile.TemporaryDirectory(prefix="atrous-serve-") as folder, _torch_home(folder):
        torch.manual_seed(0)
        torch.save(load_model(model, weights="random", device="cpu").net.state_dict(), Path(folder) / f"{model}.pth")
        # ATROUS_SERVE_* apply (GPUs, batch size); the weights, the port and a wait long enough to batch are set
        wait = float(os.environ.get("ATROUS_SERVE_BATCH_WAIT_TIMEOUT_S") or 0.05)
        settings = from_env(models=(model,), weights=folder, batch_wait_timeout_s=wait, port=free_port())
        base = load_model(model, weights=str(Path(folder) / f"{model}.pth"), device=settings.device)
        if stride is not None:
            set_output_stride(base, stride, NO_MULTI_GRID)
        local = fast_model(base, settings.device)  # what the segment page runs, on the service's device
        began = time.perf_counter()
        expected = [segment(local, image, short_side=side) for image, side in cases]
        if timing:  # the first pass met each input size for the first time; the second is the steady state
            began = time.perf_counter()
            expected = [segment(local, image, short_side=side) for image, side in cases]
        in_process_ms = 1e3 * (time.perf_counter() - began) / len(cases)
        outcomes, took = _run(settings, cases, requests, model, expected, stride, timing, out)
    answered = [o for o in outcomes if o.served is not None]
    wrong = [o for o in answered if o.differing or o.confidence_error > CONFIDENCE_ATOL]
    out(f"batch sizes seen (size: batches): {batch_counts(outcomes)}")
    groups = Counter(o.served.group for o in answered if o.served is not None)
    out(f"requests by same-size group they were stacked in (group size: requests): {dict(sorted(groups.items()))}")
    if answered:
        trips = [o.served.round_trip_ms for o in answered if o.served is not None]
        out(
            f"{took}; round trip p50 {statistics.median(trips):.0f} ms, max {max(trips):.0f} ms; "
            f"in-process ({'warm' if timing else 'cold'}) {in_process_ms:.0f} ms per photo, one at a time"
        )
    for o in outcomes:
        if o.error or o.differing or o.confidence_error > CONFIDENCE_ATOL:
            off = f"{o.differing} labels differ, confidence off by {o.confidence_error:.2g}"
            out(f"  request {o.index}: {o.error or off}")
    out(f"{len(answered)} of {requests} answered, {len(wrong)} differ from the in-process pipeline")
    return 0 if answered and len(answered) == requests and not wrong else 1


def _run(
    settings: ServeSettings,
    cases: list[tuple[Image.Image, int]],
    requests: int,
    model: str,
    expected: list[Segmentation],
    stride: int | None,
    timing: bool,
    out: Callable[[str], None],
) -> tuple[list[Outcome], str]:
    from deeplab_core.serving import ray_app  # Ray only here: the rest of the module is cheap to import

    started = time.perf_counter()
    ray_app.connect(None, local_cpus=os.cpu_count())
    try:
        ray_up = time.perf_counter()
        ray_app.deploy(settings)
        deployed = time.perf_counter()
        out(f"Ray up in {ray_up - started:.1f} s, {model} deployed in {deployed - ray_up:.1f} s")
        service = Service(f"http://127.0.0.1:{settings.port}", timeout_s=300)

        def one(i: int) -> Outcome:
            image, side = cases[i % len(cases)]
            try:
                served = service.segment(image, Ask(model, side, stride, NO_MULTI_GRID, trained=True))
            except LabError as exc:
                return Outcome(i, None, f"{exc.key}: {exc}")
            want = expected[i % len(cases)]
            seg = served.segmentation
            differing = int((seg.labels != want.labels).sum()) if seg.labels.shape == want.labels.shape else -1
            confidence = float(np.abs(seg.probabilities - want.probabilities).max())
            return Outcome(i, served, differing=differing, confidence_error=confidence)

        if timing:
            for i in range(len(cases)):
                one(i)
        began = time.perf_counter()
        with ThreadPoolExecutor(max(1, requests)) as pool:
            outcomes = list(pool.map(one, range(requests)))
        took = time.perf_counter() - began
        return outcomes, f"{requests} requests in {took:.1f} s ({requests / took:.1f}/s)"
    finally:
        ray_app.shutdown()
