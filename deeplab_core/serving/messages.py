"""What the segment page asks the inference service, and what it answers, in the frame of `protocol`.

A request: the model, the short side, the output stride and multi-grid (a ResNet's wiring), whether the page
expects trained weights, and the photo's encoded bytes. Every field is checked against the option lists of
`deeplab_core.config`, as the page's widgets would, so a foreign client gets a 400 and not a model re-wired to a
setting the course never offers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeplab_core.config import MODEL_NAMES, MULTI_GRID, NO_MULTI_GRID, OUTPUT_STRIDES, RESNETS, RESOLUTIONS
from deeplab_core.serving.protocol import ProtocolError, decode_array, encode_array, label_dtype, pack, unpack


@dataclass(frozen=True)
class Ask:
    """The settings of one segmentation, as the page's controls produce them."""

    model: str
    short_side: int
    output_stride: int | None  # a ResNet's, always named; None for MobileNetV3 (its own wiring)
    multi_grid: tuple[int, ...]
    trained: bool  # the weights the page announces: the service refuses to answer with the other kind

    def check(self) -> Ask:
        """This request, or ProtocolError naming the first setting the course does not offer."""
        if self.model not in MODEL_NAMES:
            raise ProtocolError(f"unknown model {self.model!r}")
        if self.short_side not in RESOLUTIONS:
            raise ProtocolError(f"short side {self.short_side} is not one of {RESOLUTIONS}")
        if (self.output_stride is None) == (self.model in RESNETS) or self.output_stride not in (None, *OUTPUT_STRIDES):
            raise ProtocolError(f"output stride {self.output_stride} for {self.model}")  # a ResNet's is named
        if self.multi_grid not in (NO_MULTI_GRID, MULTI_GRID) or (
            self.multi_grid != NO_MULTI_GRID and not self.output_stride
        ):
            raise ProtocolError(f"multi-grid {self.multi_grid}")
        return self


@dataclass(frozen=True)
class Answer:
    """The service's segmentation of one photo, and how it was served."""

    labels: np.ndarray  # (H, W) uint8 or int16 at the photo's size
    confidence: np.ndarray  # (H, W) float16 top-1 probability
    categories: tuple[str, ...]
    network_size: tuple[int, int]  # (h, w) the network saw
    trained: bool
    preprocess_ms: float
    inference_ms: float  # the whole batch's forward pass, shared by every photo in it
    postprocess_ms: float
    queued_ms: float  # from arriving at the replica to its batch starting
    device: str  # "cpu" or "cuda" on the replica
    batch: int  # requests in the batch this one ran in
    group: int  # of those, how many shared its forward pass (same network input size, and an engine that stacks)
    engine: str = "torch"  # what ran the network: "onnxruntime" or "torch"


def write_ask(ask: Ask, photo: bytes) -> bytes:
    header = {
        "model": ask.model,
        "short_side": ask.short_side,
        "output_stride": ask.output_stride,
        "multi_grid": list(ask.multi_grid),
        "trained": ask.trained,
    }
    return pack(header, {"photo": photo})


def read_ask(data: bytes) -> tuple[Ask, bytes]:
    """The checked settings and the photo's bytes; ProtocolError for anything malformed or not offered."""
    frame = unpack(data)
    h = frame.header
    stride, grid = h.get("output_stride"), h.get("multi_grid")
    if not (
        isinstance(h.get("model"), str)
        and type(h.get("short_side")) is int
        and (stride is None or type(stride) is int)
        and isinstance(grid, list)
        and all(type(g) is int for g in grid)
        and isinstance(h.get("trained"), bool)
        and "photo" in frame.parts
    ):
        raise ProtocolError("request fields of the wrong type")
    ask = Ask(str(h["model"]), int(h["short_side"]), stride, tuple(grid), bool(h["trained"]))  # type: ignore[call-overload]
    return ask.check(), frame.parts["photo"]


def write_answer(answer: Answer) -> bytes:
    labels_meta, labels = encode_array(answer.labels.astype(label_dtype(len(answer.categories)), copy=False))
    confidence_meta, confidence = encode_array(answer.confidence.astype(np.float16, copy=False))
    header = {
        "labels": labels_meta,
        "confidence": confidence_meta,
        "categories": list(answer.categories),
        "network_size": list(answer.network_size),
        "trained": answer.trained,
        "timings": [answer.preprocess_ms, answer.inference_ms, answer.postprocess_ms, answer.queued_ms],
        "device": answer.device,
        "batch": [answer.batch, answer.group],
        "engine": answer.engine,
    }
    return pack(header, {"labels": labels, "confidence": confidence})


def read_answer(data: bytes) -> Answer:
    frame = unpack(data)
    h = frame.header
    try:
        labels = decode_array(h["labels"], frame.parts["labels"])
        confidence = decode_array(h["confidence"], frame.parts["confidence"])
        preprocess, inference, postprocess, queued = (float(v) for v in h["timings"])  # type: ignore[attr-defined]
        batch, group = (int(v) for v in h["batch"])  # type: ignore[attr-defined]
        h_net, w_net = (int(v) for v in h["network_size"])  # type: ignore[attr-defined]
        categories = tuple(str(c) for c in h["categories"])  # type: ignore[attr-defined]
        trained, device, engine = bool(h["trained"]), str(h["device"]), str(h["engine"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError("reply fields missing or of the wrong type") from exc
    if labels.ndim != 2 or labels.shape != confidence.shape or labels.dtype.kind not in "iu":
        raise ProtocolError("labels and confidence of different shapes")
    return Answer(
        labels, confidence, categories, (h_net, w_net), trained, preprocess, inference, postprocess, queued, device,
        batch, group, engine,
    )  # fmt: skip
