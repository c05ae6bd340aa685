"""How much work an on-demand job is, and the bound a CPU job must stay under so nobody waits behind a giant.

Jobs queue for one shared processor (deeplab_core.serving.queue serves them in arrival order), so one student's
ResNet-101 at 720 pixels and output stride 8 would hold a whole class for half a minute on a CPU. Before a job
queues, its multiply-accumulates are estimated and, on a CPU, refused beyond `CPU_JOB_GMACS` with a message that
says what to change. A convolution's MACs are (output pixels) × (k² · C_in · C_out), so a network's MACs grow with
the input's area: they are counted once per (model, output stride) on the meta device at DeepLab's 513 × 513 crop
(`torch.utils.flop_counter`, 2 FLOPs per MAC) and scaled by h·w / 513². The image-pooling branch does not grow
with the area, so this is an estimate (within a few per cent), not a count; it only decides what may run.

The dense CRF (deeplab_core.maths.crf) is no network, but it holds the same queue: its work is counted in network
MACs that take as long on the same CPU (`CrfWork`; the constants are measured by scripts/crf_work.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import torch
from torch.utils.flop_counter import FlopCounterMode

from deeplab_core.config import (
    CPU_JOB_GMACS,
    CRF_MACS_PER_PIXEL,
    CRF_MACS_PER_UNIT,
    CROP_SIZE,
    RESNETS,
    TORCHVISION_OUTPUT_STRIDE,
)
from deeplab_core.errors import LabError
from deeplab_core.nets.model import architecture


@dataclass(frozen=True)
class Work:
    """`passes` forward passes of model `name` at `output_stride` (None: torchvision's own) on (height, width)."""

    name: str
    output_stride: int | None
    height: int
    width: int
    passes: int = 1

    @property
    def macs(self) -> int:
        return round(crop_macs(self.name, self.output_stride) * self.height * self.width / CROP_SIZE**2) * self.passes


@dataclass(frozen=True)
class CountedWork:
    """Work the caller counted itself: a network that is not torchvision's DeepLabv3 (DeepLab v1's VGG-16)."""

    macs: int


@dataclass(frozen=True)
class CrfWork:
    """The dense CRF on a (height, width) photo with `classes` labels and `iterations` mean-field steps, as the
    network MACs that take as long: building its lattices costs per pixel, each iteration per pixel and class."""

    height: int
    width: int
    classes: int
    iterations: int

    @property
    def macs(self) -> int:
        return self.height * self.width * (CRF_MACS_PER_PIXEL + CRF_MACS_PER_UNIT * self.classes * self.iterations)


Workload = Sequence[Work | CountedWork | CrfWork]


class TooHeavyError(LabError, ValueError):
    """A CPU job over the bound ("errors.workload.too_heavy")."""

    def __init__(self, gmacs: float, limit: int) -> None:
        super().__init__(
            "errors.workload.too_heavy",
            f"This run needs about {gmacs:.0f} billion multiply-adds, more than a CPU job may use ({limit} billion).",
            gmacs=f"{gmacs:.0f}",
            limit=limit,
        )


class CrfTooHeavyError(LabError, ValueError):
    """A CPU job with a CRF over the bound: "errors.workload.crf_fewer" says how many iterations fit,
    "errors.workload.crf_smaller" that not even one does with this network and photo."""

    def __init__(self, gmacs: float, limit: int, crf: CrfWork, fits: int) -> None:
        super().__init__(
            "errors.workload.crf_fewer" if fits > 0 else "errors.workload.crf_smaller",
            f"This CRF with its network needs about {gmacs:.0f} billion multiply-adds' worth of work, more than a "
            f"CPU job may use ({limit} billion); {fits} iterations would fit.",
            gmacs=f"{gmacs:.0f}",
            limit=limit,
            iterations=crf.iterations,
            fits=fits,
            width=crf.width,
            height=crf.height,
        )


@cache
def crop_macs(name: str, output_stride: int | None) -> int:
    """MACs of one forward pass at CROP_SIZE × CROP_SIZE, counted on the meta device (no arithmetic is done)."""
    stride = output_stride or TORCHVISION_OUTPUT_STRIDE[name]
    net = architecture(name, stride) if name in RESNETS else architecture(name)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(1, 3, CROP_SIZE, CROP_SIZE, device="meta"))  # (1, 3, 513, 513)
    return counter.get_total_flops() // 2


def job_macs(work: Workload) -> int:
    """Estimated MACs of a job: every pass of every piece, scaled from the crop by its area."""
    return sum(w.macs for w in work)


def check_workload(device: str, work: Workload) -> int:
    """The job's estimated MACs; TooHeavyError (CrfTooHeavyError for a job with a CRF) when a CPU job exceeds
    CPU_JOB_GMACS (GPU jobs are not bounded)."""
    macs = job_macs(work)
    if torch.device(device).type == "cpu" and macs > CPU_JOB_GMACS * 1e9:
        crf = next((w for w in work if isinstance(w, CrfWork)), None)
        if crf is not None:
            raise CrfTooHeavyError(macs / 1e9, CPU_JOB_GMACS, crf, crf_iterations_that_fit(work, crf))
        raise TooHeavyError(macs / 1e9, CPU_JOB_GMACS)
    return macs


def crf_iterations_that_fit(work: Workload, crf: CrfWork) -> int:
    """The most mean-field iterations `crf` could have with the rest of `work` under the CPU bound (0: none)."""
    pixels = crf.height * crf.width
    left = CPU_JOB_GMACS * 1e9 - (job_macs(work) - crf.macs) - pixels * CRF_MACS_PER_PIXEL
    return max(0, int(left // (pixels * CRF_MACS_PER_UNIT * crf.classes)))
