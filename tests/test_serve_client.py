"""The app as a client of the inference service, without Ray: a replica (`Segmenter`) behind a plain HTTP server
stands in for Serve's proxy. Served labels equal the in-process ones; a service that is down, mute, or answers
with an error is a ServiceUnavailable within its timeouts; and the segment page falls back with a translated
note, within 10 s, when the service stops mid-class."""

import http.server
import socket
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from deeplab_core.config import NO_MULTI_GRID
from deeplab_core.i18n import text
from deeplab_core.nets.engine import fast_model
from deeplab_core.nets.model import load_model
from deeplab_core.nets.segmentation import segment
from deeplab_core.serving.client import Service, ServiceUnavailable, service_from_env, service_url
from deeplab_core.serving.messages import Ask
from deeplab_core.serving.service import Segmenter
from tests.apptest_support import open_page

MOBILENET = Ask("mobilenet_v3_large", 320, None, NO_MULTI_GRID, trained=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def http_service(answer):
    """A threaded HTTP server on loopback; `answer(path, body) -> (status, bytes)` makes every reply."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, data = answer(self.path, body)
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module", autouse=True)
def export_cache(tmp_path_factory):
    """The engine's export cache (beside torch's hub cache): this module's own, never the developer's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
        yield


@pytest.fixture(scope="module")
def replica(random_weights_folder):
    return Segmenter("mobilenet_v3_large", str(random_weights_folder / "mobilenet_v3_large.pth"))


@contextmanager
def replica_service(replica):
    lock = threading.Lock()

    def answer(path, body):
        assert path == "/segment/mobilenet_v3_large"
        with lock:
            reply = replica.answer_batch([body], [time.monotonic()])[0]
        return reply.status, reply.body

    with http_service(answer) as url:
        yield url


def photo(width=200, height=150, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def test_served_labels_equal_the_in_process_ones(replica, random_weights_folder):
    local = fast_model(load_model("mobilenet_v3_large", weights=random_weights_folder / "mobilenet_v3_large.pth"))
    image = photo()
    with replica_service(replica) as url:
        served = Service(url).segment(image, MOBILENET)
    alone = segment(local, image, short_side=320)
    seg = served.segmentation
    assert seg.labels.dtype == alone.labels.dtype and np.array_equal(seg.labels, alone.labels)
    assert np.abs(seg.probabilities - alone.probabilities).max() < 1e-3  # float16 on the wire
    assert (seg.categories, seg.network_size, seg.plan, seg.trained) == (
        alone.categories, alone.network_size, alone.plan, alone.trained,
    )  # fmt: skip
    assert (served.batch, served.group, served.device) == (1, 1, "cpu") and served.round_trip_ms > 0
    assert seg.timings.engine == alone.timings.engine == "onnxruntime"  # the page's engine, on both sides


def test_nothing_listening_is_down_at_once_and_then_skipped_for_a_while():
    service = Service(f"http://127.0.0.1:{free_port()}", retry_s=30)
    start = time.monotonic()
    with pytest.raises(ServiceUnavailable) as first:
        service.segment(photo(), MOBILENET)
    with pytest.raises(ServiceUnavailable, match="next try") as second:
        service.segment(photo(), MOBILENET)
    assert time.monotonic() - start < 2
    assert first.value.key == second.value.key == "serving.remote.down"
    assert first.value.values == {"service": service.name}


def test_a_mute_service_is_slow_within_its_timeout():
    with socket.socket() as mute:  # accepts connections (the kernel's backlog) and never answers
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        service = Service(f"http://127.0.0.1:{mute.getsockname()[1]}", timeout_s=0.5)
        start = time.monotonic()
        with pytest.raises(ServiceUnavailable) as caught:
            service.segment(photo(), MOBILENET)
        assert time.monotonic() - start < 2
    assert caught.value.key == "serving.remote.slow" and caught.value.values["seconds"] == "0.5"


@pytest.mark.parametrize(
    "status, body, reason",
    [
        (404, b"Path '/segment/x' not found.", "model"),  # what Serve's proxy says for an undeployed model
        (409, b'{"reason": "weights", "message": "untrained"}', "weights"),
        (500, b"boom", "refused"),
        (200, b"not a frame", "reply"),
    ],
)
def test_error_answers_become_reasons(status, body, reason):
    with http_service(lambda path, data: (status, body)) as url:
        with pytest.raises(ServiceUnavailable) as caught:
            Service(url).segment(photo(), MOBILENET)
    assert caught.value.key == f"serving.remote.{reason}"
    for lang in ("en", "zh"):  # every reason has its message, with the values the error carries
        assert text(caught.value.key, lang, **caught.value.values)


def test_the_address_comes_from_the_environment():
    assert service_from_env({}) is None
    assert service_from_env({"ATROUS_LAB_INFERENCE": "local", "ATROUS_LAB_SERVE_URL": "http://x:1"}) is None
    service = service_from_env({"ATROUS_LAB_INFERENCE": "ray", "ATROUS_LAB_SERVE_TIMEOUT": "5"})
    assert service is not None and (service.url, service.timeout_s) == ("http://127.0.0.1:8000", 5.0)
    assert service_url({"ATROUS_LAB_SERVE_URL": "http://gpu-box:9000/"}) == "http://gpu-box:9000"
    assert service_url({"RAY_ADDRESS": "10.0.0.7:6379"}) == "http://10.0.0.7:8000"
    assert service_url({"RAY_ADDRESS": "ray://head.local:10001"}) == "http://head.local:8000"
    assert service_url({"RAY_ADDRESS": "auto"}) == "http://127.0.0.1:8000"


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def served_caption(lang: str, service: str) -> tuple[str, str]:
    """The fixed beginning and end of the caption that names the service (the numbers vary)."""
    template = text("serving.remote.served", lang, service=service, device="cpu", batch=1, group=1, round_trip="\0")
    before, after = template.split("\0")
    return before, after


def test_the_page_names_the_service_and_falls_back_with_a_note_when_it_stops(replica, random_weights, monkeypatch):
    monkeypatch.setenv("ATROUS_LAB_INFERENCE", "ray")
    with replica_service(replica) as url:
        monkeypatch.setenv("ATROUS_LAB_SERVE_URL", url)
        at = open_page("segment", "en")
        assert not at.exception and not at.warning
        before, after = served_caption("en", url.removeprefix("http://"))
        assert any(c.startswith(before) and c.endswith(after) for c in captions(at)), captions(at)
    start = time.monotonic()  # the service is gone: the next run answers here, with a note
    at.button(key="segment_again").click().run()
    assert time.monotonic() - start < 10
    assert not at.exception
    note = text("serving.remote.down", "en", service=url.removeprefix("http://"))
    assert [w.value for w in at.warning] == [text("serving.remote.fallback", "en", reason=note)]
    assert text("segment.timing_device", "en", device="CPU") in captions(at)
    assert len(at.get("plotly_chart")) == 3


def test_the_page_falls_back_in_chinese_when_the_service_is_down(random_weights, monkeypatch):
    service = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("ATROUS_LAB_INFERENCE", "ray")
    monkeypatch.setenv("ATROUS_LAB_SERVE_URL", f"http://{service}")
    at = open_page("segment", "zh")
    assert not at.exception
    note = text("serving.remote.fallback", "zh", reason=text("serving.remote.down", "zh", service=service))
    assert [w.value for w in at.warning] == [note]
    assert len(at.get("plotly_chart")) == 3
