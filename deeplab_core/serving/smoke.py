"""The service's proof: a local Serve app, N requests at once, every label map against the in-process pipeline.

Random weights are saved to a temporary state dict and loaded through the real path (`load_model(weights=path)`)
on both sides. The photos are the shipped samples at two short sides, so a batch mixes network input sizes and
must group them. Each reply is compared with `segment(inference_copy(model), photo, short_side=...)`, what the
segment page runs in-process: labels equal to the pixel, confidence within float16's rounding.
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from deeplab_core.errors import LabError
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.model import load_model
from deeplab_core.nets.segmentation import Segmentation, segment
from deeplab_core.samples import load_sample
from deeplab_core.serving.client import Served, Service
from deeplab_core.serving.messages import Ask
from deeplab_core.serving.settings import ServeSettings

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


def smoke(requests: int = 16, *, model: str = "mobilenet_v3_large", out: Callable[[str], None] = print) -> int:
    """0 when every one of `requests` concurrent requests was answered with the in-process labels, else 1."""
    cases = [(load_sample(name), side) for side in SHORT_SIDES for name in PHOTOS]
    with tempfile.TemporaryDirectory(prefix="atrous-serve-") as folder:
        torch.manual_seed(0)
        torch.save(load_model(model, weights="random", device="cpu").net.state_dict(), Path(folder) / f"{model}.pth")
        local = inference_copy(load_model(model, weights=str(Path(folder) / f"{model}.pth"), device="cpu"))
        began = time.perf_counter()
        expected = [segment(local, image, short_side=side) for image, side in cases]
        in_process_ms = 1e3 * (time.perf_counter() - began) / len(cases)
        settings = ServeSettings(models=(model,), weights=folder, batch_wait_timeout_s=0.05, port=free_port())
        outcomes, timing = _run(settings, cases, requests, model, expected, out)
    answered = [o for o in outcomes if o.served is not None]
    wrong = [o for o in answered if o.differing or o.confidence_error > CONFIDENCE_ATOL]
    out(f"batch sizes seen (size: batches): {batch_counts(outcomes)}")
    groups = Counter(o.served.group for o in answered if o.served is not None)
    out(f"requests by same-size group they were stacked in (group size: requests): {dict(sorted(groups.items()))}")
    if answered:
        trips = [o.served.round_trip_ms for o in answered if o.served is not None]
        out(
            f"{timing}; round trip p50 {statistics.median(trips):.0f} ms, max {max(trips):.0f} ms; "
            f"in-process {in_process_ms:.0f} ms per photo, one at a time"
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
                served = service.segment(image, Ask(model, side, None, (1, 1, 1), trained=True))
            except LabError as exc:
                return Outcome(i, None, f"{exc.key}: {exc}")
            want = expected[i % len(cases)]
            seg = served.segmentation
            differing = int((seg.labels != want.labels).sum()) if seg.labels.shape == want.labels.shape else -1
            confidence = float(np.abs(seg.probabilities - want.probabilities).max())
            return Outcome(i, served, differing=differing, confidence_error=confidence)

        with ThreadPoolExecutor(max(1, requests)) as pool:
            outcomes = list(pool.map(one, range(requests)))
        took = time.perf_counter() - deployed
        return outcomes, f"{requests} requests in {took:.1f} s ({requests / took:.1f}/s)"
    finally:
        ray_app.shutdown()
