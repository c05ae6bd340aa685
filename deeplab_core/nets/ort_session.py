"""ONNX Runtime sessions as the engine makes them (deeplab_core.nets.engine, engine_top1): the server's thread count,
threads that sleep instead of spinning, and allocation failures raised as MemoryError."""

from __future__ import annotations

from typing import Any

import numpy as np

_ALLOCATION_MESSAGES = ("bad allocation", "failed to allocate", "out of memory", "bad_alloc")


def run(session: Any, outputs: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """session.run, with ONNX Runtime's allocation failures (plain Exceptions) raised as MemoryError, which
    `nets.memory.memory_guard` turns into the translated out-of-memory answer."""
    try:
        return session.run(outputs, feeds)
    except Exception as exc:
        if any(m in str(exc).lower() for m in _ALLOCATION_MESSAGES):
            raise MemoryError(str(exc)) from None
        raise


def options(threads: int) -> Any:
    import onnxruntime as ort

    settings = ort.SessionOptions()
    settings.intra_op_num_threads = threads
    settings.inter_op_num_threads = 1
    settings.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    settings.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # threads that wait sleep instead of spinning: a spinning thread takes the core from the one doing the work
    # when another process holds the other core (BENCHMARKS, "Threads")
    settings.add_session_config_entry("session.intra_op.allow_spinning", "0")
    settings.log_severity_level = 3  # errors only: its notes on unused initialisers are not the reader's business
    return settings


def session(data: bytes, threads: int) -> Any:
    """A CPU session for the ONNX model `data`, on `threads` intra-op threads."""
    import onnxruntime as ort

    return ort.InferenceSession(data, options(threads), providers=["CPUExecutionProvider"])
