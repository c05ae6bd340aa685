"""Pretrained weights without the network: the offline explanation, a cached file, the download checks, the CLI."""

import io
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import torch

from deeplab_core.nets import checkpoints as weights
from deeplab_core.nets.model import load_model
from tests.paths import ROOT

NAME = "mobilenet_v3_large"


@pytest.fixture
def hub(tmp_path, monkeypatch, hub_dir):
    """An empty torch hub cache in a temporary folder."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return hub_dir / "checkpoints"


@pytest.fixture
def offline(monkeypatch):
    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)


def test_offline_says_which_file_where_and_how(hub, offline):
    with pytest.raises(weights.WeightsUnavailableError) as caught:
        load_model(NAME, weights="pretrained")
    error = caught.value
    assert error.path == hub / "deeplabv3_mobilenet_v3_large-fc3c493d.pth"
    assert error.url.startswith("https://download.pytorch.org/")
    assert "network is unreachable" in error.cause
    assert weights.fetch_command(NAME) in str(error) and str(error.path) in str(error)
    assert not any(hub.glob("*")), "no partial file is left behind"


def test_a_cached_file_is_used_without_network(hub, offline):
    torch.manual_seed(0)
    state = load_model(NAME, weights="random").net.state_dict()
    hub.mkdir(parents=True)
    torch.save(state, weights.cached_path(NAME))
    model = load_model(NAME, weights="pretrained")
    assert model.spec.trained and model.spec.weights == "pretrained"
    assert all(torch.equal(model.net.state_dict()[k], v) for k, v in state.items())


class FakeResponse(io.BytesIO):
    headers = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_reports_real_bytes_and_checks_the_hash(hub, monkeypatch):
    payload = os.urandom(3 * 2**20 + 123)
    FakeResponse.headers = {"Content-Length": str(len(payload))}
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(payload))
    seen = []
    with pytest.raises(weights.WeightsUnavailableError, match="SHA-256"):
        weights.download(NAME, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(payload), len(payload))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert not weights.is_cached(NAME) and not any(hub.glob("*.partial"))


def run_cli(*args, torch_home):
    env = {**os.environ, "TORCH_HOME": str(torch_home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "deeplab_core.weights", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_status(tmp_path):
    missing = run_cli("status", torch_home=tmp_path)
    assert missing.returncode == 1
    assert "missing" in missing.stdout and "python -m deeplab_core.weights download" in missing.stdout
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / weights.cached_path(NAME).name).write_bytes(b"x" * 2**20)
    cached = run_cli("status", NAME, torch_home=tmp_path)
    assert cached.returncode == 0
    assert "cached" in cached.stdout and "1.0 MiB" in cached.stdout and str(folder) in cached.stdout


def test_cli_refuses_unknown_models(tmp_path):
    result = run_cli("status", "vgg16", torch_home=tmp_path)
    assert result.returncode == 2 and "unknown model vgg16" in result.stderr


OFFLINE_CLI = """
import sys, urllib.error, urllib.request

def unreachable(*args, **kwargs):
    raise urllib.error.URLError("network is unreachable")

urllib.request.urlopen = unreachable  # no network: the tool must say so, and never reach the internet
from deeplab_core.weights import main
sys.exit(main(sys.argv[1:]))
"""


def test_cli_download_prints_each_failure_once_on_its_own_line(tmp_path):
    names = ["mobilenet_v3_large", "resnet50"]
    env = {**os.environ, "TORCH_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", OFFLINE_CLI, "download", *names],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.replace("\r", "\n").splitlines()  # what a terminal shows after each carriage return
    for name in names:
        failure = weights.cached_path(name).name + " is not in the torch hub cache"
        assert result.stderr.count(failure) == 1, result.stderr  # once: not also through the log's fallback handler
        (line,) = [line for line in lines if failure in line]
        assert line.startswith(f"  failed   {name}: "), line  # on its own line, not after the progress text
    assert "network is unreachable" in result.stderr and not result.stdout
