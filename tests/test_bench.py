"""A quick run of the benchmark on tiny inputs: every figure is computed and the report says what it used."""

import torch
from PIL import Image

from deeplab_core import bench


def test_bench_model_on_a_tiny_photo():
    peak = bench.matmul_peak(torch.device("cpu"), size=256, repeats=2)
    result = bench.bench_model(
        "mobilenet_v3_large",
        Image.new("RGB", (64, 48), (120, 80, 40)),
        torch.device("cpu"),
        repeats=1,
        peak=peak,
        short_side=32,
    )
    assert result.weights in ("pretrained", "random")
    assert result.reference_ms > 0 and result.pipeline_ms > 0 and result.speedup > 0
    assert result.agreement >= 0.999
    assert result.macs > 0 and 0 < result.peak_fraction
    text = bench.report([result], torch.device("cpu"), peak, Image.new("RGB", (64, 48)))
    assert "mobilenet_v3_large" in text and "peak = measured large-matmul rate" in text


def test_main_prints_the_table(capsys):
    assert bench.main(["--device", "cpu", "--repeats", "1", "--short-side", "32", "--sample", "coffee"]) == 0
    out = capsys.readouterr().out
    assert "| mobilenet_v3_large |" in out and "speed-up" in out
