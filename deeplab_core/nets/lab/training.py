"""Train and score one lab variant: Adam on freshly drawn scenes, then mean IoU on fixed validation scenes.

Intersection over union for class c, summed over all validation pixels (as PASCAL VOC and DeepLabv3 §4 score):
    IoU_c = TP_c / (TP_c + FP_c + FN_c),      mIoU = mean over the classes of IoU_c
(a class absent from both labels and predictions is left out of the mean). Training scenes come from stream
`1000 + seed`, validation scenes from stream 999 whatever the seed, so every variant and seed is scored on the
same scenes. Weights are initialised from `seed`, so a (variant, seed, steps) triple is one reproducible run on
one device (GPU kernels may differ in the last bits).
"""

from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from deeplab_core.nets.device import resolve_device
from deeplab_core.nets.lab.scenes import CLASSES, SCENES, SceneSpec, batch
from deeplab_core.nets.lab.variants import build, geometry, parameter_count

VALIDATION_STREAM = 999
SHOWN_SCENES = 3  # validation scenes whose predictions every result keeps, for the page
MAX_STEPS = 600  # one request's bound, so one student cannot hold a classroom server


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 300
    batch_size: int = 12
    learning_rate: float = 3e-3
    validation_scenes: int = 32
    evaluate_every: int = 25


@dataclass(frozen=True)
class Progress:
    step: int
    steps: int
    loss: float
    miou: float | None  # only on evaluation steps
    seconds: float


class TrainingCancelled(Exception):
    """`stop()` said so before a step: nobody wants this run any more (the train lab's registry cancels a run
    whose every requesting session has left)."""


@dataclass
class RunResult:
    variant: str
    seed: int
    steps: int
    parameters: int
    output_stride: int
    receptive_field: int
    global_context: bool
    holes: int
    device: str
    seconds: float  # training only, without evaluation
    miou: float
    iou: dict[str, float]  # per class; NaN where the class is in neither labels nor predictions
    history: dict[str, list] = field(default_factory=dict)  # step, loss, eval_step, miou
    predictions: list[str] = field(default_factory=list)  # SHOWN_SCENES label maps, packed

    def to_json(self) -> dict:
        out = dict(self.__dict__)
        out["iou"] = {k: (None if np.isnan(v) else round(v, 4)) for k, v in self.iou.items()}
        return out

    @classmethod
    def from_json(cls, data: dict) -> RunResult:
        data = dict(data)
        data["iou"] = {k: (float("nan") if v is None else v) for k, v in data["iou"].items()}
        return cls(**data)


def pack(labels: np.ndarray) -> str:
    """(H, W) class indices < 256 → a short ASCII string (zlib, base64) that JSON carries."""
    header = np.asarray(labels.shape, dtype=np.uint16).tobytes()
    return base64.b64encode(zlib.compress(header + labels.astype(np.uint8).tobytes(), 9)).decode("ascii")


def unpack(text: str) -> np.ndarray:
    raw = zlib.decompress(base64.b64decode(text))
    shape = tuple(int(v) for v in np.frombuffer(raw[:4], dtype=np.uint16))
    return np.frombuffer(raw[4:], dtype=np.uint8).reshape(shape).astype(np.int64)


def confusion(labels: np.ndarray, predictions: np.ndarray, classes: int = len(CLASSES)) -> np.ndarray:
    """(classes, classes) counts: row = true class, column = predicted class."""
    return np.bincount(labels.ravel() * classes + predictions.ravel(), minlength=classes**2).reshape(classes, -1)


def iou_per_class(matrix: np.ndarray) -> np.ndarray:
    tp = np.diag(matrix).astype(np.float64)
    union = matrix.sum(0) + matrix.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def class_weights(seed: int, spec: SceneSpec = SCENES, scenes: int = 64) -> np.ndarray:
    """Cross-entropy weights 1/sqrt(frequency), mean 1, from the first training scenes: without them the 90 %
    background drowns the thin classes within a one-minute budget (their loss share is below 1 %)."""
    _, labels = batch(1000 + seed, 0, scenes, spec)
    frequency = np.bincount(labels.ravel(), minlength=len(CLASSES)) / labels.size
    weights = 1.0 / np.sqrt(np.maximum(frequency, 1e-4))
    return (weights / weights.mean()).astype(np.float32)


def validation_set(config: TrainConfig, spec: SceneSpec = SCENES) -> tuple[np.ndarray, np.ndarray]:
    return batch(VALIDATION_STREAM, 0, config.validation_scenes, spec)


@torch.no_grad()
def predict(model: torch.nn.Module, images: np.ndarray, device: torch.device, chunk: int = 16) -> np.ndarray:
    """(N, 3, H, W) images → (N, H, W) predicted classes, in evaluation mode."""
    model.eval()
    out = []
    for start in range(0, len(images), chunk):
        x = torch.from_numpy(images[start : start + chunk]).to(device)  # (b, 3, H, W)
        out.append(model(x).argmax(1).cpu().numpy())  # (b, H, W)
    model.train()
    return np.concatenate(out)


@contextmanager
def cpu_threads(threads: int | None, device: torch.device) -> Iterator[None]:
    """torch's CPU thread count set to `threads` for the block, then put back (None, or a GPU: unchanged).
    On a small CPU shared with other work, one thread is faster and far steadier for this tiny network."""
    if threads is None or device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train(
    variant: str,
    seed: int,
    config: TrainConfig = TrainConfig(),
    *,
    device: str | None = None,
    callback: Callable[[Progress], None] | None = None,
    spec: SceneSpec = SCENES,
    step_guard: Callable[[], AbstractContextManager[object]] = nullcontext,
    threads: int | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Train `variant` from `seed` for `config.steps` steps (capped at MAX_STEPS) and score it.

    Each step (and each evaluation) runs inside `step_guard()`, so a server can interleave it with other work
    on the same processor, and with `threads` CPU threads; the waiting is not counted in `seconds`. `stop()` is
    asked before every step and before the final scoring: when it is true the run ends with TrainingCancelled,
    so a run nobody watches stops within one step."""
    steps = min(config.steps, MAX_STEPS)
    dev = resolve_device(device)
    model = build(variant, seed).to(dev)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate, total_steps=steps)
    val_images, val_labels = validation_set(config, spec)
    weights = torch.from_numpy(class_weights(seed, spec)).to(dev)  # (classes,)
    history: dict[str, list] = {"step": [], "loss": [], "eval_step": [], "miou": []}
    seconds = 0.0
    for step in range(1, steps + 1):
        if stop():
            raise TrainingCancelled(f"{variant}, seed {seed}: stopped before step {step} of {steps}")
        with step_guard(), cpu_threads(threads, dev):
            started = time.perf_counter()
            images, labels = batch(1000 + seed, (step - 1) * config.batch_size, config.batch_size, spec)
            x, y = torch.from_numpy(images).to(dev), torch.from_numpy(labels).to(dev)  # (B, 3, H, W), (B, H, W)
            loss = F.cross_entropy(model(x), y, weight=weights)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            value = loss.item()  # synchronises a GPU, so the clock below is honest
            seconds += time.perf_counter() - started
            miou = None
            if step % config.evaluate_every == 0 or step == steps:
                miou = float(np.nanmean(iou_per_class(confusion(val_labels, predict(model, val_images, dev)))))
        history["step"].append(step)
        history["loss"].append(round(value, 4))
        if miou is not None:
            history["eval_step"].append(step)
            history["miou"].append(round(miou, 4))
        if callback is not None:
            callback(Progress(step, steps, value, miou, seconds))
    if stop():
        raise TrainingCancelled(f"{variant}, seed {seed}: stopped before scoring")
    with step_guard(), cpu_threads(threads, dev):
        predicted = predict(model, val_images, dev)
    iou = iou_per_class(confusion(val_labels, predicted))
    shape = geometry(model)
    return RunResult(
        variant=variant,
        seed=seed,
        steps=steps,
        parameters=parameter_count(model),
        output_stride=shape.output_stride,
        receptive_field=shape.receptive_field,
        global_context=shape.global_context,
        holes=shape.holes,
        device=dev.type,
        seconds=round(seconds, 2),
        miou=round(float(np.nanmean(iou)), 4),
        iou=dict(zip(CLASSES, (float(v) for v in iou), strict=True)),
        history=history,
        predictions=[pack(p) for p in predicted[:SHOWN_SCENES]],
    )
