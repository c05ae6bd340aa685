"""Several photos through one forward pass, with the labels `segment` gives each of them alone.

Dynamic batching pays when one pass over B inputs costs less than B passes (weights read once, wider matrix
products, one kernel launch per layer on a GPU). It must not change a single label. Two rules keep it exact:

- **Group by network input size.** Photos whose plans (`deeplab_core.budget.plan_input`) give the same (h, w) are
  stacked; others run as their own group. Padding to a common size is not exact: ASPP's image-pooling branch
  averages over the whole map, so zero padding would change every pixel's features.
- **Each photo's own pre- and post-processing**, exactly as `segment` does them: the resize of its short side, and
  its logits upsampled to its own size before the top-1.

What runs is `deeplab_core.fast_model`'s choice: the torch inference copy (a GPU) stacks a group into one pass;
the ONNX Runtime engine (a CPU) runs the group's photos one after the other in the same batch call, since its
export takes one photo at a time (its batch dimension is fixed at 1; on a CPU a stacked pass would gain little).
`tests/test_serve_batching.py` checks every label against `segment`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from PIL import Image

from deeplab_core.budget import InputPlan, plan_input
from deeplab_core.nets.device import synchronize
from deeplab_core.nets.engine import Engine
from deeplab_core.nets.memory import memory_guard
from deeplab_core.nets.model import DeepLab
from deeplab_core.nets.segmentation import Segmentation, Timings, configure, preprocess, segment, top1


@dataclass(frozen=True)
class Photo:
    image: Image.Image
    short_side: int  # as the page asked; the pixel budget may lower it

    @property
    def plan(self) -> InputPlan:
        return plan_input(self.image.width, self.image.height, self.short_side)


def groups(photos: Sequence[Photo]) -> list[list[int]]:
    """Indices of `photos` grouped by the network input they need, in order of first arrival."""
    found: dict[tuple[int, tuple[int, int]], list[int]] = {}
    for i, photo in enumerate(photos):
        plan = photo.plan
        found.setdefault((plan.short_side, plan.size), []).append(i)
    return list(found.values())


def stacks(model: DeepLab | Engine) -> bool:
    """Whether `model` takes several photos in one pass: the torch network does, the ONNX export (one photo) not."""
    return not isinstance(model, Engine)


def segment_group(model: DeepLab | Engine, photos: Sequence[Photo]) -> list[Segmentation]:
    """`segment(model, p.image, short_side=p.short_side)` for each photo, in one forward pass when the model
    `stacks`. All photos must share one network input size (`groups`); ValueError otherwise."""
    plans = [p.plan for p in photos]
    if len({(plan.short_side, plan.size) for plan in plans}) != 1:
        raise ValueError("a batch needs one network input size; group the photos first")
    if isinstance(model, Engine):  # one photo per pass (see `stacks`)
        return [segment(model, p.image, short_side=p.short_side) for p in photos]
    spec, device = model.spec, model.device
    configure(device)
    with memory_guard(device), torch.inference_mode():
        inputs, prepare_ms = [], []
        for photo, plan in zip(photos, plans, strict=True):
            began = time.perf_counter()
            inputs.append(preprocess(photo.image, spec, plan.short_side, device))  # (1, 3, h, w)
            prepare_ms.append(1e3 * (time.perf_counter() - began))
        synchronize(device)
        prepared = time.perf_counter()
        x = torch.cat(inputs).contiguous(memory_format=torch.channels_last)  # (B, 3, h, w)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            logits = model.net(x)["out"]  # (B, C, h, w)
        synchronize(device)
        inference_ms = 1e3 * (time.perf_counter() - prepared)
        results = []
        for i, (photo, plan) in enumerate(zip(photos, plans, strict=True)):
            began = time.perf_counter()
            labels, probability = top1(logits[i : i + 1], (photo.image.height, photo.image.width))  # (H, W) each
            labels_np, probability_np = labels.cpu().numpy(), probability.cpu().numpy()
            timings = Timings(prepare_ms[i], inference_ms, 1e3 * (time.perf_counter() - began), device.type)
            results.append(
                Segmentation(
                    labels=labels_np,
                    probabilities=probability_np,
                    categories=spec.categories,
                    network_size=plan.size,
                    plan=plan,
                    trained=spec.trained,
                    timings=timings,
                )
            )
    return results
