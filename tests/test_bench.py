"""A quick run of the benchmark on tiny inputs: every figure is computed and the report says what it used."""

import subprocess

import pytest
import torch
from PIL import Image

from deeplab_core import bench
from deeplab_core.nets.device import apply_thread_policy, engine_version


@pytest.fixture(autouse=True)
def torch_home(tmp_path, monkeypatch):
    """The page path's export goes to a TORCH_HOME of this test's own, never the developer's."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))


def test_bench_model_quiet_and_with_a_core_busy():
    peak = bench.matmul_peak(torch.device("cpu"), size=256, repeats=2)
    results = bench.bench_model(
        "mobilenet_v3_large",
        Image.new("RGB", (64, 48), (120, 80, 40)),
        torch.device("cpu"),
        repeats=1,
        peak=peak,
        short_side=32,
        machines=(bench.QUIET, bench.BUSY),
    )
    assert [r.machine for r in results] == [bench.QUIET, bench.BUSY]
    for r in results:
        assert r.weights in ("pretrained", "random")
        assert r.reference_ms > 0 and r.pipeline_ms > 0 and r.speedup > 0
        assert (r.torch_ms is not None) == (engine_version() is not None)  # a torch column beside the engine
        assert r.agreement >= 0.999 and 0 <= r.logits_error < 1e-4
        assert r.macs > 0 and 0 < r.peak_fraction
    head = bench.header(torch.device("cpu"), apply_thread_policy(), peak, Image.new("RGB", (64, 48)), 32)
    text = bench.report(results, head, (0.5, 1.5))
    assert "mobilenet_v3_large" in text and "peak = measured large-matmul rate" in text
    assert "one core busy, against its quiet latency: mobilenet_v3_large" in text
    assert "(network input 42×32)" in text and "load average (1 min): 0.50" in text


def test_one_core_busy_starts_a_spinning_process_and_stops_it(monkeypatch):
    started = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(bench.subprocess, "Popen", popen)
    with bench.one_core_busy():
        assert len(started) == 1 and started[0].poll() is None  # spinning
    assert started[0].poll() is not None  # stopped, and reaped


def test_main_prints_the_table(capsys):
    assert bench.main(["--device", "cpu", "--repeats", "1", "--short-side", "32", "--sample", "coffee"]) == 0
    out = capsys.readouterr().out
    assert "| mobilenet_v3_large | random | quiet |" in out and "speed-up" in out and "logits rel. error" in out
