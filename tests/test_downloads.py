"""Downloads without the network (urlopen is replaced): one transfer per model however many sessions ask, no
`.partial` file left on any exit path, a checksum mismatch deletes the file and says so, students see the file
and the command while the path and raw cause go to the log."""

import hashlib
import io
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest

from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.nets import checkpoints as weights

NAME = "mobilenet_v3_large"
PAYLOAD = bytes(range(256)) * 12_000  # ~3 MiB: three chunks
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


@dataclass
class FakeWeights:
    url: str
    meta: dict = field(default_factory=dict)


class Response(io.BytesIO):
    """An HTTP response whose chunks wait for `gate` (so a test controls when bytes arrive)."""

    def __init__(self, payload: bytes, gate: threading.Event | None = None) -> None:
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}
        self.gate = gate

    def read(self, size: int = -1) -> bytes:
        if self.gate is not None:
            assert self.gate.wait(10)
        return super().read(size)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def hub(monkeypatch, hub_dir):
    """An empty hub cache, and a model whose file name carries the payload's real SHA-256 prefix."""
    monkeypatch.setitem(weights.WEIGHTS, NAME, FakeWeights(f"https://example.invalid/fake-{DIGEST[:8]}.pth"))
    return hub_dir / "checkpoints"


def leftovers(folder):
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def test_two_sessions_asking_at_once_fetch_the_file_once(hub, monkeypatch):
    gate, calls = threading.Event(), []

    def urlopen(url, timeout):
        calls.append(url)
        return Response(PAYLOAD, gate)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    seen: dict[int, list] = {0: [], 1: []}
    paths = {}

    def session(i: int) -> None:
        paths[i] = weights.download(NAME, lambda done, total, i=i: seen[i].append(done))

    threads = [threading.Thread(target=session, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    while not calls:  # the first caller's transfer has started
        threading.Event().wait(0.01)
    threading.Event().wait(0.1)  # the second caller joins while the bytes are held back
    gate.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert paths[0] == paths[1] == weights.cached_path(NAME) and paths[0].read_bytes() == PAYLOAD
    assert seen[0][-1] == seen[1][-1] == len(PAYLOAD)  # the second session watched the first one's progress
    assert leftovers(hub) == [paths[0].name]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, GeneratorExit, type("StopException", (Exception,), {})])
def test_an_interrupted_download_leaves_no_partial_file(hub, monkeypatch, interrupt):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(PAYLOAD))

    def leave_the_page(done, total):
        if done > 0:  # mid-download: a Streamlit stop, Ctrl-C, a closed generator
            raise interrupt()

    with pytest.raises(interrupt):
        weights.download(NAME, leave_the_page)
    # The transfer thread may have finished before the page was left (three chunks arrive at once here): then the
    # complete, checked file may stay. What must never stay is a partial file.
    left = leftovers(hub)
    assert not any(name.endswith(".partial") for name in left)
    assert left == [] or (
        left == [weights.cached_path(NAME).name] and weights.cached_path(NAME).read_bytes() == PAYLOAD
    )


def test_a_checksum_mismatch_deletes_the_file_and_says_so(hub, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(PAYLOAD[:-1]))
    with pytest.raises(weights.WeightsUnavailableError) as caught:
        weights.download(NAME)
    assert caught.value.key == "errors.weights.checksum"
    assert leftovers(hub) == []
    for lang in LANGUAGES:
        message = text(caught.value.key, lang, **caught.value.values)
        assert "SHA-256" in message and f"fake-{DIGEST[:8]}.pth" in message


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (urllib.error.URLError(OSError(-2, "Name or service not known")), "offline"),
        (urllib.error.HTTPError("https://example.invalid", 503, "Service Unavailable", {}, None), "http"),
        (TimeoutError("timed out"), "timeout"),
    ],
)
def test_students_see_the_file_and_the_command_the_log_gets_the_path(hub, monkeypatch, caplog, error, reason):
    def urlopen(url, timeout):
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with (
        caplog.at_level(logging.WARNING, logger="deeplab_core.nets.checkpoints"),
        pytest.raises(weights.WeightsUnavailableError) as caught,
    ):
        weights.download(NAME)
    exc = caught.value
    assert exc.key == f"errors.weights.{reason}"
    for lang in LANGUAGES:
        message = text(exc.key, lang, **exc.values)
        assert exc.path.name in message and weights.fetch_command(NAME) in message
        assert str(hub) not in message and "Name or service" not in message
    assert str(exc.path) in caplog.text  # the teacher finds the full path and the raw cause in the server log
    assert leftovers(hub) == []
