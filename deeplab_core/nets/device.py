"""Which processor runs the models: CUDA when present, MPS on a Mac, else the CPU."""

from __future__ import annotations

import platform
from dataclasses import dataclass

import torch
import torchvision


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda", "mps" or "cpu"
    name: str  # e.g. "NVIDIA H100 80GB HBM3", "Apple GPU", "CPU"
    memory_gib: float | None  # total device memory; None for the CPU and MPS
    threads: int  # torch intra-op threads (meaningful for the CPU)
    torch_version: str
    torchvision_version: str


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


def describe_device(device: str | torch.device | None = None) -> DeviceInfo:
    dev = resolve_device(device)
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
    )
