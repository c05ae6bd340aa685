"""What the segment page runs: ONNX Runtime on a CPU, the torch inference copy on a GPU.

**Why an engine** (docs/BENCHMARKS.md, "Inference engine"). On a classroom server something else always holds a
core: eager PyTorch's OpenMP threads wait for each other after every operation, so with one core busy elsewhere
two torch threads ran 4-6× slower than on a quiet machine. ONNX Runtime splits each operation into pieces that
whichever thread is free takes, its threads sleep instead of spinning, and its CPU kernels (MLAS, with the graph's
convolutions, additions and activations fused at load time) are as fast as oneDNN's. ONNX Runtime and OpenVINO were
both measured; ONNX Runtime held up better with a core busy and is the smaller install.

The lessons that look inside a network (hooks, BatchNorm statistics, the ASPP probe, the effective field) keep the
PyTorch model; the engine only segments photos. It is optional: without onnxruntime (the GPU machine has only
torch) `fast_model` returns the torch inference copy, as it does on CUDA, where half precision and cuDNN win.

**Checked at load.** The export (`engine_export`) is cached and fingerprinted; after loading it, a probe input runs
through the engine and through the model itself, and logits that differ by more than 1e-4 of their range (a damaged
file that still parses) send it back for a fresh export.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from deeplab_core.nets import engine_top1
from deeplab_core.nets.device import apply_thread_policy, engine_version
from deeplab_core.nets.engine_export import INPUT, OUTPUT, Export, load_export
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.model import DeepLab, ModelSpec
from deeplab_core.nets.ort_session import run, session

PROBE_SIZE = (48, 64)  # a small input: every weight takes part whatever the size
PROBE_TOLERANCE = 1e-4  # relative to the largest logit, as tests/test_engine.py checks
log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Engine:
    """An ONNX Runtime session for one model's export, and what the model is."""

    session: Any = field(repr=False)  # onnxruntime.InferenceSession (imported only when an engine is made)
    spec: ModelSpec
    export: Export
    threads: int  # intra-op threads of this session (config.thread_policy().engine)

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(1, 3, h, w) float32 normalised input → (1, C, h, w) float32 logits."""
        return run(self.session, [OUTPUT], {INPUT: x})[0]

    def top1(self, logits: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Labels (H, W) int64 and top-1 probability (H, W) float32 at `size`, as `segmentation.top1` computes
        them: bilinear upsampling (align_corners=False), then 1 / Σ_c exp(l_c − l_max), in the engine's threads."""
        return engine_top1.top1(logits, size, self.threads)


def _agrees(engine: Engine, model: DeepLab) -> bool:
    """The engine's logits on a probe input are the model's, to PROBE_TOLERANCE of their range."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, 3, *PROBE_SIZE, generator=generator)  # (1, 3, h, w)
    with torch.inference_mode():
        expected = model.net(x.to(model.device))["out"].float().cpu().numpy()  # (1, C, h, w)
    try:
        got = engine.logits(x.numpy())
    except Exception:  # noqa: BLE001 - a damaged graph can fail in any kernel; it is then exported again
        log.exception("The ONNX export of %s failed on the probe input.", model.spec.name)
        return False
    scale = max(float(np.abs(expected).max()), 1e-12)
    return got.shape == expected.shape and float(np.abs(got - expected).max()) <= PROBE_TOLERANCE * scale


def load_engine(model: DeepLab, threads: int) -> Engine:
    """The engine for `model`: its cached export (exported now when missing, stale or corrupt), checked against the
    model on a probe input; a cached file that fails the check is exported again."""
    export = load_export(model)
    try:
        engine = Engine(session(export.data, threads), model.spec, export, threads)
    except Exception:  # noqa: BLE001 - ONNX Runtime's load errors (InvalidGraph, Fail) share no base class
        engine = None
    if engine is None or not _agrees(engine, model):
        if export.origin != "cached":
            raise RuntimeError(f"The ONNX export of {model.spec.name} does not compute what the model computes.")
        export = load_export(model, damaged=True)
        engine = Engine(session(export.data, threads), model.spec, export, threads)
        if not _agrees(engine, model):
            raise RuntimeError(f"The ONNX export of {model.spec.name} does not compute what the model computes.")
    return engine


def fast_model(model: DeepLab, device: str | torch.device | None = None) -> DeepLab | Engine:
    """What the segment page runs for `model` on `device` (default: the model's): on a CPU with onnxruntime, the
    ONNX Runtime engine; on a GPU, or without onnxruntime, the torch inference copy (BatchNorm folded,
    channels_last, trimmed ASPP). `segmentation.segment` takes either. Applies the server's thread policy."""
    dev = torch.device(device) if device is not None else model.device
    policy = apply_thread_policy()
    if dev.type == "cpu" and engine_version() is not None:
        try:
            return load_engine(model, policy.engine)
        except Exception:  # noqa: BLE001 - the page must still segment: the torch path computes the same labels
            log.exception("ONNX Runtime could not run %s; the segment page uses PyTorch.", model.spec.name)
    return inference_copy(model, dev)
