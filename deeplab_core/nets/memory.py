"""Out of memory is an answer, not a crash: allocator failures during inference become a translated LabError.

A classroom server is one process shared by every student. When one run cannot allocate its activations (Python's
`MemoryError`, `torch.OutOfMemoryError` on a GPU, or the CPU allocator's `RuntimeError: ... can't allocate
memory`), the frames of the failed forward pass still hold every tensor it made, and the exception's traceback
holds those frames. So the guard drops the traceback first, then collects garbage and empties the CUDA cache, and
only then raises `OutOfMemoryError` (no chained cause that would keep the frames alive). The model's weights were
never touched, so the next run, and every other session, carries on.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from deeplab_core.errors import LabError

log = logging.getLogger(__name__)
# Substrings of the allocators' messages (c10's CPU allocator, CUDA's caching allocator, MPS).
_ALLOCATOR_MESSAGES = ("can't allocate memory", "out of memory", "failed to allocate", "not enough memory")


class OutOfMemoryError(LabError, MemoryError):
    """One run did not fit in memory ("errors.memory.out_of_memory"); memory has been released."""

    def __init__(self, device: str) -> None:
        super().__init__(
            "errors.memory.out_of_memory",
            f"The run did not fit in the {device} memory; memory was released and the model is still usable.",
            device=device,
        )


def is_allocation_failure(error: BaseException) -> bool:
    if isinstance(error, (MemoryError, torch.OutOfMemoryError)):
        return True
    return isinstance(error, RuntimeError) and any(m in str(error).lower() for m in _ALLOCATOR_MESSAGES)


def release_memory(device: torch.device | str | None = None) -> None:
    """Free what the failed run left: unreachable tensors, then the CUDA allocator's cached blocks."""
    gc.collect()
    kind = torch.device(device).type if device is not None else "cpu"
    if kind == "cuda" and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif kind == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


@contextmanager
def memory_guard(device: torch.device | str = "cpu") -> Iterator[None]:
    """Run a block; an allocation failure inside it releases memory and raises OutOfMemoryError instead."""
    kind = torch.device(device).type
    failed = False
    try:
        yield
    except (MemoryError, RuntimeError) as exc:  # torch.OutOfMemoryError is a RuntimeError
        if isinstance(exc, OutOfMemoryError) or not is_allocation_failure(exc):  # already handled, or not ours
            raise
        log.warning("inference ran out of memory on %s: %s", kind, exc)
        exc.__traceback__ = None  # the frames of the failed pass hold its tensors
        failed = True
    if failed:  # outside the except block, so nothing refers to the exception or its frames any more
        release_memory(kind)
        raise OutOfMemoryError(kind)
