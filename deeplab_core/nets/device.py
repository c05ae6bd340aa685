"""Which processor runs the models (CUDA when present, MPS on a Mac, else the CPU), with how many threads."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import platform
import threading
from dataclasses import dataclass

import torch
import torchvision

from deeplab_core.config import ThreadPolicy, thread_policy


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda", "mps" or "cpu"
    name: str  # e.g. "NVIDIA H100 80GB HBM3", "Apple GPU", "CPU"
    memory_gib: float | None  # total device memory; None for the CPU and MPS
    threads: int  # torch intra-op threads (meaningful for the CPU)
    torch_version: str
    torchvision_version: str
    engine: str  # what runs the segment page here: "ONNX Runtime 1.x" on a CPU that has it, else "PyTorch"
    policy: ThreadPolicy  # the server's threads (config.thread_policy), as applied


def available_devices() -> list[str]:
    """Device kinds this machine can run, best first."""
    kinds = []
    if torch.cuda.is_available():
        kinds.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        kinds.append("mps")
    kinds.append("cpu")
    return kinds


def default_device() -> str:
    return available_devices()[0]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """None means the best available; an unavailable kind raises ValueError."""
    kind = default_device() if device is None else torch.device(device).type
    if kind not in available_devices():
        raise ValueError(f"Device {kind!r} is not available here; choose one of {available_devices()}.")
    return torch.device(kind)


def module_device(module: torch.nn.Module) -> torch.device:
    """Where a module's parameters live (all of a model's parameters live on one device here)."""
    return next(module.parameters()).device


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so wall-clock timings measure the work and not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def cpu_model() -> str:
    """The processor's name, for benchmark reports."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass  # not Linux: fall back to what the platform module knows
    return platform.processor() or platform.machine()


_policy_lock = threading.Lock()
_applied: ThreadPolicy | None = None


def apply_thread_policy() -> ThreadPolicy:
    """Set torch's CPU threads from `config.thread_policy()`, once per process; every later call returns what was
    applied. The engine and the CRF read the same policy when they run."""
    global _applied
    with _policy_lock:
        if _applied is None:
            _applied = thread_policy()
            torch.set_num_threads(_applied.torch)
        return _applied


@functools.cache
def engine_version() -> str | None:
    """ONNX Runtime's version when it and onnx (which the export needs) are installed, without importing them:
    both are in requirements.txt, but the GPU machine may lack them."""
    try:
        if any(importlib.util.find_spec(name) is None for name in ("onnxruntime", "onnx")):
            return None
        return importlib.metadata.version("onnxruntime")
    except (ImportError, ValueError):  # a broken install, or an import hook that hides it: no engine
        return None


def engine_name(device: torch.device) -> str:
    """What runs the segment page on `device`: ONNX Runtime on a CPU (deeplab_core.nets.engine), else PyTorch."""
    version = engine_version() if device.type == "cpu" else None
    return f"ONNX Runtime {version}" if version else "PyTorch"


def describe_device(device: str | torch.device | None = None) -> DeviceInfo:
    dev = resolve_device(device)
    policy = apply_thread_policy()
    name, memory = "CPU", None
    if dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        name, memory = props.name, props.total_memory / 2**30
    elif dev.type == "mps":
        name = "Apple GPU (MPS)"
    return DeviceInfo(
        kind=dev.type,
        name=name,
        memory_gib=memory,
        threads=torch.get_num_threads(),
        torch_version=torch.__version__,
        torchvision_version=torchvision.__version__,
        engine=engine_name(dev),
        policy=policy,
    )
