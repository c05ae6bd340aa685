"""The inference service on Ray Serve, for real: `python -m deeplab_core.serve smoke --requests 16` starts a local
Serve app with random weights, sends 16 requests at once, and exits 0 only when every label map equals the
in-process pipeline's. Ray's start alone takes 13-15 s on the 2-core test machine, so this is the one Ray test;
everything else about the service is tested without Ray (test_serve_protocol, test_serve_batching,
test_serve_client)."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.paths import ROOT
from tests.test_layering import GRAPH, SOURCES, roots


def test_smoke_run_answers_every_request_with_the_in_process_labels():
    if importlib.util.find_spec("ray") is None:
        assert not os.environ.get("CI"), "Ray Serve is missing: requirements-dev.txt installs requirements-serve.txt"
        pytest.skip("Ray Serve is not installed (pip install -r requirements-serve.txt)")
    done = subprocess.run(
        [sys.executable, "-m", "deeplab_core.serve", "smoke", "--requests", "16"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    assert "16 of 16 answered, 0 differ from the in-process pipeline" in out
    sizes = re.search(r"batch sizes seen \(size: batches\): \{(.*)\}", out)
    assert sizes is not None, out
    counts = {int(k): float(v) for k, v in (item.split(":") for item in sizes.group(1).split(","))}
    assert sum(size * n for size, n in counts.items()) == 16
    assert max(counts) > 1, f"no request was batched with another: {out}"  # 16 at once: batching must happen


def test_the_serve_tool_stays_free_of_the_ui_libraries():
    """Like bench, weights and lab: the GPU box that runs the service has neither streamlit nor plotly."""
    seen, todo = set(), ["deeplab_core.serve", "deeplab_core.serving.ray_app", "deeplab_core.serving.smoke"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            assert not roots(SOURCES[name]) & {"streamlit", "plotly"}, name
            todo += GRAPH[name]
    assert "deeplab_core.serving.service" in seen


def test_the_application_builder_reads_its_arguments():
    """What a RayService's serveConfigV2 passes (docs/DEPLOY.md): strings, parsed into the deployment's options."""
    from deeplab_core.serving.ray_app import build

    app = build({"model": "resnet101", "weights": "random", "replicas": "4", "gpus": "0.25", "max_batch_size": "16"})
    deployment = app._bound_deployment  # what Serve will deploy, read before anything starts
    assert deployment.num_replicas == 4
    assert deployment.ray_actor_options == {"num_cpus": 1.0, "num_gpus": 0.25}
    assert deployment.max_ongoing_requests == 32  # twice the batch, or a batch could never fill
    assert deployment.init_args == ("resnet101", "random", "cuda", 16, 0.02)
