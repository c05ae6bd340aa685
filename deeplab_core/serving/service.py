"""What one replica of the inference service does, without Ray: framed requests in, framed answers out.

`Segmenter` holds one model (loaded through `load_model`, like the app's) and what the segment page would run for
it (`deeplab_core.fast_model`: ONNX Runtime on a CPU, the torch inference copy on a GPU), one per output stride and
multi-grid it has been asked for (the last few kept). `answer_batch` takes the raw bodies that
arrived together, decodes each photo with the upload decoder (`deeplab_core.images.load_image`), groups them by
wiring and network input size, and runs each group in one forward pass (`deeplab_core.serving.batching`). The Ray
deployment (`ray_app`) only moves bytes in and out; the tests drive this class directly.

A request that cannot be answered gets an HTTP status and a JSON body {"reason", "message"}; the client turns it
into a translated note and runs the photo in-process.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from deeplab_core.errors import LabError
from deeplab_core.images import load_image
from deeplab_core.nets.engine import Engine, fast_model
from deeplab_core.nets.model import DeepLab, load_model, set_output_stride
from deeplab_core.nets.segmentation import Segmentation
from deeplab_core.serving.batching import Photo, groups, segment_group, stacks
from deeplab_core.serving.messages import Answer, Ask, read_ask, write_answer
from deeplab_core.serving.protocol import ProtocolError

KEPT_WIRINGS = 3  # inference copies kept per replica: (output stride, multi-grid) pairs a class is using


@dataclass(frozen=True)
class Reply:
    status: int  # HTTP status
    body: bytes
    media_type: str = "application/octet-stream"


def failure(status: int, reason: str, message: str) -> Reply:
    return Reply(status, json.dumps({"reason": reason, "message": message}).encode(), "application/json")


class Segmenter:
    """One model on one device, answering batches of framed requests."""

    def __init__(self, name: str, weights: str, device: str = "cpu") -> None:
        self.name = name
        self._base = load_model(name, weights=weights, device=device)
        self._copies: OrderedDict[tuple[int | None, tuple[int, ...]], DeepLab | Engine] = OrderedDict()
        self._lock = threading.Lock()  # re-wiring the base model in place is not safe from two threads

    @property
    def trained(self) -> bool:
        return self._base.spec.trained

    def model(self, output_stride: int | None, multi_grid: tuple[int, ...]) -> DeepLab | Engine:
        """What the page runs for this wiring (`fast_model` keeps the rates it is made with)."""
        key = (output_stride, multi_grid)
        with self._lock:
            if key not in self._copies:
                if output_stride is not None:
                    set_output_stride(self._base, output_stride, multi_grid)
                self._copies[key] = fast_model(self._base)
                while len(self._copies) > KEPT_WIRINGS:
                    self._copies.popitem(last=False)
            self._copies.move_to_end(key)
            return self._copies[key]

    def answer_batch(self, bodies: Sequence[bytes], arrived: Sequence[float]) -> list[Reply]:
        """One reply per body, in order. `arrived`: time.monotonic() when each reached the replica."""
        started = time.monotonic()
        replies: list[Reply | None] = [None] * len(bodies)
        work: dict[tuple[int | None, tuple[int, ...]], list[tuple[int, Photo, float]]] = {}
        for i, body in enumerate(bodies):
            began = time.perf_counter()
            try:
                ask, photo = read_ask(body)
                self._accepts(ask)
                image = load_image(photo)
            except ProtocolError as exc:
                replies[i] = failure(400, "request", str(exc))
                continue
            except LabError as exc:  # a photo the decoder refuses (not an image, too many pixels, too long)
                replies[i] = failure(422, exc.key, str(exc))
                continue
            except _Refused as exc:
                replies[i] = failure(409, exc.reason, str(exc))
                continue
            decode_ms = 1e3 * (time.perf_counter() - began)
            work.setdefault((ask.output_stride, ask.multi_grid), []).append(
                (i, Photo(image, ask.short_side), decode_ms)
            )
        for (stride, grid), items in work.items():
            model = self.model(stride, grid)
            for members in groups([photo for _, photo, _ in items]):
                chosen = [items[m] for m in members]
                try:
                    segmentations = segment_group(model, [photo for _, photo, _ in chosen])
                except LabError as exc:  # out of memory: released, and the client runs the photo itself
                    for i, _, _ in chosen:
                        replies[i] = failure(503, exc.key, str(exc))
                    continue
                shared = len(chosen) if stacks(model) else 1  # photos in each forward pass
                for (i, _, decode_ms), seg in zip(chosen, segmentations, strict=True):
                    replies[i] = Reply(
                        200, write_answer(_answer(seg, decode_ms, started - arrived[i], len(bodies), shared))
                    )
        return [r if r is not None else failure(500, "internal", "no reply") for r in replies]

    def _accepts(self, ask: Ask) -> None:
        if ask.model != self.name:
            raise _Refused("model", f"this deployment serves {self.name}, not {ask.model}")
        if ask.trained != self.trained:
            kind = "trained" if self.trained else "untrained"
            raise _Refused("weights", f"this deployment serves {kind} weights")


def _answer(seg: Segmentation, decode_ms: float, waited_s: float, batch: int, group: int) -> Answer:
    t = seg.timings
    return Answer(
        labels=seg.labels,
        confidence=seg.probabilities,
        categories=seg.categories,
        network_size=seg.network_size,
        trained=seg.trained,
        preprocess_ms=decode_ms + t.preprocess_ms,  # decoding the PNG is part of preparing the photo
        inference_ms=t.inference_ms,
        postprocess_ms=t.postprocess_ms,
        queued_ms=1e3 * waited_s,
        device=t.device,
        batch=batch,
        group=group,
        engine=t.engine,
    )


class _Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
