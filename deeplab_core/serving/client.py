"""The app as a client of the inference service: a photo out over HTTP, a `Segmentation` back, or a reason why not.

With ATROUS_LAB_INFERENCE=ray the segment page sends its photo to the service (`deeplab_core.serving.ray_app`)
at ATROUS_LAB_SERVE_URL, or, when only RAY_ADDRESS names the cluster, at port 8000 of that host (Serve's HTTP
proxy); unset, everything runs in-process as before. Plain HTTP rather than a Ray client: the web server needs no
Ray, and every wait has a limit — `connect_s` to reach the service, `timeout_s` for the whole answer.

Any failure (nothing listening, no answer in time, an error status, a reply that does not parse) raises
`ServiceUnavailable`, a LabError whose key ("serving.remote.<reason>") the page shows as a note before it runs the
photo in-process. After a connection failure or a timeout the service is skipped for `retry_s`, so a class does
not queue up behind a dead address one timeout at a time.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

from deeplab_core.budget import plan_input
from deeplab_core.errors import LabError
from deeplab_core.nets.segmentation import Segmentation, Timings
from deeplab_core.serving.messages import Ask, read_answer, write_ask
from deeplab_core.serving.protocol import ProtocolError

MODE_ENV = "ATROUS_LAB_INFERENCE"  # "ray": ask the service; unset or "local": in-process
URL_ENV = "ATROUS_LAB_SERVE_URL"  # the service's HTTP address, e.g. http://gpu-box:8000
TIMEOUT_ENV = "ATROUS_LAB_SERVE_TIMEOUT"  # seconds for a whole answer
SERVE_PORT = 8000
MAX_REPLY = 256 * 2**20


class ServiceUnavailable(LabError):
    """The service could not answer; `reason`: down, slow, refused, weights, model or reply."""

    def __init__(self, reason: str, service: str, message: str, **values: object) -> None:
        super().__init__(f"serving.remote.{reason}", message, service=service, **values)


@dataclass(frozen=True)
class Served:
    """A segmentation the service computed, and how: the page names the service in its timing caption."""

    segmentation: Segmentation
    service: str  # host:port
    device: str  # the replica's device
    batch: int  # requests in the batch this one ran in
    group: int  # of those, the ones stacked with it into one forward pass
    round_trip_ms: float  # from sending the photo to holding the labels, as the page waited
    queued_ms: float  # waiting on the replica for its batch to start


@dataclass(frozen=True)
class Service:
    url: str  # http://host:port
    connect_s: float = 2.0
    timeout_s: float = 20.0
    retry_s: float = 10.0

    @property
    def name(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    def segment(self, image: Image.Image, ask: Ask) -> Served:
        """The service's segmentation of `image`; ServiceUnavailable when there is none to have."""
        _skip_if_down(self)
        start = time.perf_counter()
        body = write_ask(ask.check(), png(image))
        status, data = self._post(f"/segment/{ask.model}", body)
        if status != 200:
            raise _refusal(self.name, status, data)
        try:
            answer = read_answer(data)
        except ProtocolError as exc:
            raise ServiceUnavailable("reply", self.name, str(exc)) from exc
        if answer.labels.shape != (image.height, image.width):
            raise ServiceUnavailable("reply", self.name, f"labels of shape {answer.labels.shape}")
        timings = Timings(
            answer.preprocess_ms, answer.inference_ms, answer.postprocess_ms, answer.device, answer.engine
        )
        seg = Segmentation(
            labels=answer.labels.astype(np.int64),
            probabilities=answer.confidence.astype(np.float32),
            categories=answer.categories,
            network_size=answer.network_size,
            plan=plan_input(image.width, image.height, ask.short_side),
            trained=answer.trained,
            timings=timings,
        )
        took = 1e3 * (time.perf_counter() - start)
        return Served(seg, self.name, answer.device, answer.batch, answer.group, took, answer.queued_ms)

    def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme != "http" or not parts.hostname:
            raise ServiceUnavailable("down", self.name, f"not an http:// address: {self.url}")
        deadline = time.monotonic() + self.timeout_s
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.connect_s)
        try:
            conn.connect()
        except OSError as exc:
            _mark_down(self)
            raise ServiceUnavailable("down", self.name, f"cannot connect: {exc}") from exc
        try:
            sock = conn.sock  # kept: the connection lets go of it once the reply's headers say it will close
            assert sock is not None
            sock.settimeout(self.timeout_s)
            conn.request("POST", parts.path.rstrip("/") + path, body, {"Content-Type": "application/octet-stream"})
            response = conn.getresponse()
            chunks, size = [], 0
            while not response.isclosed():  # it closes itself after the last byte
                left = deadline - time.monotonic()
                if left <= 0 or size > MAX_REPLY:
                    raise TimeoutError("the reply is too large or too slow")
                sock.settimeout(left)  # a limit on the whole answer, not on each read
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                chunks.append(chunk)
            return response.status, b"".join(chunks)
        except TimeoutError as exc:
            _mark_down(self)
            raise ServiceUnavailable(
                "slow", self.name, f"no answer within {self.timeout_s:g} s", seconds=f"{self.timeout_s:g}"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            _mark_down(self)
            raise ServiceUnavailable("down", self.name, f"connection lost: {exc}") from exc
        finally:
            conn.close()


def png(image: Image.Image) -> bytes:
    """Lossless and quick to write: the service decodes exactly the pixels the page holds."""
    buffer = io.BytesIO()
    (image if image.mode == "RGB" else image.convert("RGB")).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _refusal(service: str, status: int, data: bytes) -> ServiceUnavailable:
    try:
        reason = str(json.loads(data).get("reason", ""))
    except (ValueError, AttributeError):
        reason = ""
    if status == 409 and reason in ("weights", "model"):
        return ServiceUnavailable(reason, service, f"the service refused: {data[:200]!r}")
    if status == 404:  # Serve's proxy: no application at this route, the model is not deployed
        return ServiceUnavailable("model", service, "the model is not deployed")
    return ServiceUnavailable("refused", service, f"HTTP {status}: {data[:200]!r}", status=status)


_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def _mark_down(service: Service) -> None:
    with _down_lock:
        _down_until[service.url] = time.monotonic() + service.retry_s


def _skip_if_down(service: Service) -> None:
    with _down_lock:
        left = _down_until.get(service.url, 0.0) - time.monotonic()
    if left > 0:
        raise ServiceUnavailable("down", service.name, f"failed moments ago; next try in {left:.0f} s")


def service_url(environ: Mapping[str, str] | None = None) -> str:
    """ATROUS_LAB_SERVE_URL, else Serve's port on RAY_ADDRESS's host, else this machine."""
    env = os.environ if environ is None else environ
    if env.get(URL_ENV):
        return env[URL_ENV].rstrip("/")
    address = env.get("RAY_ADDRESS", "")
    host = urllib.parse.urlsplit(address if "://" in address else f"//{address}").hostname
    if not host or address in ("auto", "local"):
        host = "127.0.0.1"
    return f"http://{host}:{SERVE_PORT}"


def service_from_env(environ: Mapping[str, str] | None = None) -> Service | None:
    """The service this web server asks, or None when it runs everything in-process (the default)."""
    env = os.environ if environ is None else environ
    if env.get(MODE_ENV, "local").strip().lower() != "ray":
        return None
    timeout = float(env.get(TIMEOUT_ENV) or Service.timeout_s)
    return Service(service_url(env), timeout_s=timeout)
