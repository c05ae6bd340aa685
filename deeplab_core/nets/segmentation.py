"""Segment a photo with a DeepLabv3: the project's fast pipeline and torchvision's reference one.

The reference (torchvision's documented recipe): `weights.transforms()` on the PIL image, `model(x)["out"]`
in float32, logits upsampled bilinearly to the photo's size, softmax, the most probable class per pixel.

The fast pipeline computes the same label map with less work. On a CPU the network and the top-1 run in ONNX
Runtime (`deeplab_core.nets.engine`, the same function exported once); on a GPU, and wherever the engine is absent:
- an inference copy of the model (`deeplab_core.nets.fast_inference`: BatchNorm folded, channels_last, in-place
  activations);
- uint8 → float once, normalisation as one multiply-add, channels_last input (the photo's HWC bytes already
  are channels_last), `torch.inference_mode`;
- on a GPU: resize and normalise on the device, float16 autocast, cudnn.benchmark;
- top-1 probability without a full softmax tensor: p = 1 / Σ_c exp(l_c − l_max).

Every input obeys the pixel budget (`deeplab_core.budget.plan_input`): a long, thin photo gets a smaller short
side, one beyond 1:16 is refused before any work. An allocation failure releases memory and raises a translated
`OutOfMemoryError` (`deeplab_core.nets.memory`); the model stays usable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF
from torchvision.transforms._presets import SemanticSegmentation

from deeplab_core.budget import InputPlan, network_size, plan_input
from deeplab_core.nets.device import synchronize
from deeplab_core.nets.engine import Engine
from deeplab_core.nets.memory import memory_guard
from deeplab_core.nets.model import DeepLab, ModelSpec


@dataclass(frozen=True)
class Timings:
    """Wall-clock milliseconds of each stage (GPU stages synchronised), and where they ran."""

    preprocess_ms: float
    inference_ms: float
    postprocess_ms: float
    device: str
    engine: str = "torch"  # "onnxruntime" when deeplab_core.nets.engine ran the network

    @property
    def total_ms(self) -> float:
        return self.preprocess_ms + self.inference_ms + self.postprocess_ms


CONFIDENCE_STEPS = 65535  # confidence kept as uint16 fixed point: steps of 1/65535


@dataclass(frozen=True, eq=False, init=False)
class Segmentation:
    """One photo's labels and confidence, kept compact: a session keeps its result for as long as the page shows it,
    and a class keeps thirty. Labels are stored as uint8 (uint16 beyond 256 classes), the top-1 confidence as uint16
    fixed point (steps of 1/65535, finer than float16's 1/2048 near 1): 3 bytes a pixel instead of 12. `labels` and
    `probabilities` give them back as int64 and float32: the same labels, the confidence within 1/131070."""

    stored_labels: np.ndarray  # (H, W) uint8 class index per pixel, at the photo's size
    stored_confidence: np.ndarray  # (H, W) uint16: round(p · CONFIDENCE_STEPS)
    categories: tuple[str, ...]  # class names, indexed by label
    network_size: tuple[int, int]  # (h, w) the network saw after resizing
    plan: InputPlan  # the pixel budget's verdict: .scaled when the photo was made smaller than asked
    trained: bool  # False: untrained weights, the labels mean nothing
    timings: Timings

    def __init__(
        self,
        labels: np.ndarray,
        probabilities: np.ndarray,
        categories: tuple[str, ...],
        network_size: tuple[int, int],
        plan: InputPlan,
        trained: bool,
        timings: Timings,
    ) -> None:
        kind = np.uint8 if len(categories) <= 256 else np.uint16
        confidence = np.rint(np.clip(probabilities, 0, 1) * CONFIDENCE_STEPS).astype(np.uint16)
        for name, value in (("stored_labels", np.asarray(labels).astype(kind)), ("stored_confidence", confidence),
                            ("categories", categories), ("network_size", network_size), ("plan", plan),
                            ("trained", trained), ("timings", timings)):  # fmt: skip
            object.__setattr__(self, name, value)

    @property
    def labels(self) -> np.ndarray:
        """(H, W) int64 class index per pixel, at the photo's size."""
        return self.stored_labels.astype(np.int64)

    @property
    def probabilities(self) -> np.ndarray:
        """(H, W) float32 top-1 softmax probability ("confidence") per pixel."""
        return self.stored_confidence.astype(np.float32) / np.float32(CONFIDENCE_STEPS)


_configured: set[str] = set()


def configure(device: torch.device) -> None:
    """Process-wide settings, applied once per device kind."""
    if device.type in _configured:
        return
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # picks the fastest conv algorithm per input shape, once
    _configured.add(device.type)


def preprocess(image: Image.Image, spec: ModelSpec, short_side: int, device: torch.device) -> torch.Tensor:
    """(1, 3, h, w) float32 normalised channels_last input, as `weights.transforms()` would make it."""
    scale = torch.tensor([1 / (255 * s) for s in spec.std], device=device).view(1, 3, 1, 1)  # (1, 3, 1, 1)
    shift = torch.tensor([m / s for m, s in zip(spec.mean, spec.std, strict=True)], device=device).view(1, 3, 1, 1)
    if device.type == "cpu":  # Pillow's antialiased resize is what the reference runs, and it is fast
        resized = TF.resize(image, [short_side], interpolation=InterpolationMode.BILINEAR, antialias=True)
        pixels = torch.from_numpy(np.array(resized))  # (h, w, 3) uint8, a writable copy
        x = pixels.permute(2, 0, 1).unsqueeze(0)  # (1, 3, h, w) uint8, a channels_last view: no copy
        return torch.addcmul(-shift, x.float(), scale)  # (1, 3, h, w) float32 = x/255·1/std − mean/std
    pixels = torch.from_numpy(np.asarray(image)).to(device, non_blocking=True)  # (H, W, 3) uint8
    x = pixels.permute(2, 0, 1).unsqueeze(0).float()  # (1, 3, H, W) float32 in 0..255
    h, w = network_size(image.width, image.height, short_side)
    x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=True)  # (1, 3, h, w)
    x = x.round_().clamp_(0, 255)  # the reference resizes 8-bit pixels
    return torch.addcmul(-shift, x, scale).contiguous(memory_format=torch.channels_last)


def top1(logits: torch.Tensor, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels (H, W) int64 and top-1 probability (H, W) from (1, C, h, w) logits, upsampled to `size`.
    The logits are overwritten."""
    logits = logits.float()
    if tuple(logits.shape[-2:]) != size:
        logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)  # (1, C, H, W)
    best, labels = logits[0].max(dim=0)  # (H, W), (H, W)
    # softmax of the maximum only, in place on a tensor nothing else reads: 1 / Σ_c exp(l_c − l_max)
    probability = logits[0].sub_(best).exp_().sum(dim=0).reciprocal_()  # (H, W)
    return labels, probability


def segment(model: DeepLab | Engine, image: Image.Image, *, short_side: int | None = None) -> Segmentation:
    """Segment `image` with `model` — what `fast_model` returns (the ONNX Runtime engine on a CPU, an
    `inference_copy` on a GPU), or any DeepLab — within the pixel budget (PhotoShapeError beyond it) and without
    crashing when memory runs out (OutOfMemoryError)."""
    spec = model.spec
    device = model.device
    plan = plan_input(image.width, image.height, short_side or spec.resize_size)
    configure(device)
    size = (image.height, image.width)
    with memory_guard(device), torch.inference_mode():
        if isinstance(model, Engine):
            labels, probability, network, marks = _run_engine(model, image, plan.short_side, size)
        else:
            labels, probability, network, marks = _run_torch(model, image, plan.short_side, size)
    start, prepared, inferred, done = marks
    timings = Timings(
        preprocess_ms=1e3 * (prepared - start),
        inference_ms=1e3 * (inferred - prepared),
        postprocess_ms=1e3 * (done - inferred),
        device=device.type,
        engine="onnxruntime" if isinstance(model, Engine) else "torch",
    )
    return Segmentation(
        labels=labels,
        probabilities=probability,
        categories=spec.categories,
        network_size=network,
        plan=plan,
        trained=spec.trained,
        timings=timings,
    )


Marks = tuple[float, float, float, float]  # perf_counter at the start and after each of the three stages
Run = tuple[np.ndarray, np.ndarray, tuple[int, int], Marks]  # labels, probability, network (h, w), marks


def _run_torch(model: DeepLab, image: Image.Image, short_side: int, size: tuple[int, int]) -> Run:
    device = model.device
    start = time.perf_counter()
    x = preprocess(image, model.spec, short_side, device)  # (1, 3, h, w)
    synchronize(device)
    prepared = time.perf_counter()
    with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=device.type == "cuda"):
        logits = model.net(x)["out"]  # (1, C, h, w)
    synchronize(device)
    inferred = time.perf_counter()
    labels, probability = top1(logits, size)  # (H, W), (H, W)
    labels_np, probability_np = labels.cpu().numpy(), probability.cpu().numpy()
    network = (int(x.shape[-2]), int(x.shape[-1]))
    return labels_np, probability_np, network, (start, prepared, inferred, time.perf_counter())


def _run_engine(engine: Engine, image: Image.Image, short_side: int, size: tuple[int, int]) -> Run:
    start = time.perf_counter()
    x = preprocess(image, engine.spec, short_side, engine.device).contiguous().numpy()  # (1, 3, h, w) NCHW
    prepared = time.perf_counter()
    logits = engine.logits(x)  # (1, C, h, w)
    inferred = time.perf_counter()
    labels, probability = engine.top1(logits, size)  # (H, W), (H, W)
    network = (int(x.shape[-2]), int(x.shape[-1]))
    return labels, probability, network, (start, prepared, inferred, time.perf_counter())


def reference_logits(model: DeepLab, image: Image.Image, *, short_side: int | None = None) -> torch.Tensor:
    """torchvision's recipe, float32, eager: (1, C, h, w) logits at the network's input size."""
    spec = model.spec
    transform = SemanticSegmentation(resize_size=short_side or spec.resize_size, mean=spec.mean, std=spec.std)
    with torch.inference_mode():
        x = transform(image).unsqueeze(0).to(model.device)  # (1, 3, h, w)
        return model.net(x)["out"]  # (1, C, h, w)


def reference_segment(
    model: DeepLab, image: Image.Image, *, short_side: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and top-1 probability (H, W) the textbook way: upsample, full softmax, max."""
    logits = reference_logits(model, image, short_side=short_side)  # (1, C, h, w)
    with torch.inference_mode():
        up = F.interpolate(logits, size=(image.height, image.width), mode="bilinear", align_corners=False)
        probability, labels = torch.softmax(up, dim=1)[0].max(dim=0)  # (H, W), (H, W)
    return labels.cpu().numpy(), probability.cpu().numpy()
