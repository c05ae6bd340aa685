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

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from deeplab_core.nets.device import apply_thread_policy, engine_version
from deeplab_core.nets.engine_export import INPUT, OPSET, OUTPUT, Export, load_export
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.model import DeepLab, ModelSpec

PROBE_SIZE = (48, 64)  # a small input: every weight takes part whatever the size
PROBE_TOLERANCE = 1e-4  # relative to the largest logit, as tests/test_engine.py checks
_ALLOCATION_MESSAGES = ("bad allocation", "failed to allocate", "out of memory", "bad_alloc")
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
        return _run(self.session, [OUTPUT], {INPUT: x})[0]

    def top1(self, logits: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Labels (H, W) int64 and top-1 probability (H, W) float32 at `size`, as `segmentation.top1` computes
        them: bilinear upsampling (align_corners=False), then 1 / Σ_c exp(l_c − l_max), in the engine's threads."""
        labels, probability = _run(_top1_session(self.threads), None, {"logits": logits, "size": np.array(size)})
        return labels[0], probability[0]


def _run(session: Any, outputs: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """session.run, with ONNX Runtime's allocation failures (plain Exceptions) raised as MemoryError, which
    `nets.memory.memory_guard` turns into the translated out-of-memory answer."""
    try:
        return session.run(outputs, feeds)
    except Exception as exc:
        if any(m in str(exc).lower() for m in _ALLOCATION_MESSAGES):
            raise MemoryError(str(exc)) from None
        raise


def _options(threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # threads that wait sleep instead of spinning: a spinning thread takes the core from the one doing the work
    # when another process holds the other core (BENCHMARKS, "Threads")
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its notes on unused initialisers are not the reader's business
    return options


def _session(data: bytes, threads: int, *, arena: bool = True) -> Any:
    import onnxruntime as ort

    options = _options(threads)
    options.enable_cpu_mem_arena = arena
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


@functools.cache
def _top1_session(threads: int) -> Any:
    """A tiny graph, built in memory: Resize (half_pixel = torch's align_corners=False) → max, argmax →
    1 / Σ exp(l − max)."""
    from onnx import TensorProto, helper

    node = helper.make_node
    graph = helper.make_graph(
        [
            node("Shape", ["logits"], ["batch_classes"], end=2),
            node("Concat", ["batch_classes", "size"], ["sizes"], axis=0),
            node(
                "Resize",
                ["logits", "", "", "sizes"],
                ["up"],
                mode="linear",
                coordinate_transformation_mode="half_pixel",
            ),
            node("ReduceMax", ["up"], ["best"], axes=[1], keepdims=1),
            node("ArgMax", ["up"], ["labels"], axis=1, keepdims=0),
            node("Sub", ["up", "best"], ["shifted"]),
            node("Exp", ["shifted"], ["exp"]),
            node("ReduceSum", ["exp", "classes_axis"], ["total"], keepdims=0),
            node("Reciprocal", ["total"], ["probability"]),
        ],
        "top1",
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "classes", "height", "width"]),
            helper.make_tensor_value_info("size", TensorProto.INT64, [2]),
        ],
        [
            helper.make_tensor_value_info("labels", TensorProto.INT64, [1, "H", "W"]),
            helper.make_tensor_value_info("probability", TensorProto.FLOAT, [1, "H", "W"]),
        ],
        [helper.make_tensor("classes_axis", TensorProto.INT64, [1], [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    # No arena: an arena keeps the largest run's buffers for the process, and this graph's are photo-sized (21
    # classes × up to 2048×2048 float32, ~350 MB each): after one large photo the server kept ~850 MB for good.
    # Without it each buffer goes back to malloc, which returns blocks that large to the system at once.
    return _session(model.SerializeToString(), threads, arena=False)


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
        engine = Engine(_session(export.data, threads), model.spec, export, threads)
    except Exception:  # noqa: BLE001 - ONNX Runtime's load errors (InvalidGraph, Fail) share no base class
        engine = None
    if engine is None or not _agrees(engine, model):
        if export.origin != "cached":
            raise RuntimeError(f"The ONNX export of {model.spec.name} does not compute what the model computes.")
        export = load_export(model, damaged=True)
        engine = Engine(_session(export.data, threads), model.spec, export, threads)
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
