"""The engine's export cache: beside torch's hub cache, reused, rebuilt when corrupt, damaged or stale (other
weights), keyed by model, output stride, multi-grid and weights, and written atomically."""

import os
import threading

import numpy as np
import pytest
import torch

from deeplab_core.nets import engine_export
from deeplab_core.nets.device import engine_version
from deeplab_core.nets.engine import load_engine
from deeplab_core.nets.engine_export import cache_dir, export_path, load_export, write_atomically
from deeplab_core.nets.model import load_model, set_output_stride

NAME = "mobilenet_v3_large"


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    if engine_version() is None:
        pytest.skip("onnxruntime/onnx not installed: the engine's tests need them (pip install -r requirements.txt)")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def weights_file(random_weights_folder, tmp_path):
    """A private copy of the random MobileNetV3's state dict: tests overwrite it with other weights."""
    path = tmp_path / "weights" / f"{NAME}.pth"
    path.parent.mkdir()
    path.write_bytes((random_weights_folder / f"{NAME}.pth").read_bytes())
    return path


def agrees(engine, model) -> bool:
    x = torch.randn(1, 3, 40, 56, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        expected = model.net(x)["out"].numpy()
    return float(np.abs(engine.logits(x.numpy()) - expected).max() / np.abs(expected).max()) < 1e-4


def test_the_export_is_cached_beside_the_hub_cache_and_reused(torch_home, weights_file, monkeypatch):
    model = load_model(NAME, weights=str(weights_file))
    first = load_engine(model, threads=1)
    path = export_path(model)
    assert first.export.origin == "exported" and first.export.saved
    assert path.parent == cache_dir() == torch_home / "atrous_lab" / "onnx"  # torch.hub.get_dir() is TORCH_HOME/hub
    assert path.name.startswith(f"{NAME}-os16-file-") and path.read_bytes() == first.export.data
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left behind
    stamp = path.stat().st_mtime_ns

    def no_export(*_):
        raise AssertionError("exported again")

    monkeypatch.setattr(engine_export, "export_onnx", no_export)
    again = load_engine(load_model(NAME, weights=str(weights_file)), threads=1)
    assert again.export.origin == "cached" and path.stat().st_mtime_ns == stamp and agrees(again, model)


def test_a_corrupt_export_is_rebuilt(torch_home, weights_file):
    model = load_model(NAME, weights=str(weights_file))
    path = load_export(model).path
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])  # a half-written file, as a crash leaves it
    engine = load_engine(model, threads=1)
    assert engine.export.origin == "rebuilt: corrupt" and agrees(engine, model)
    assert load_export(model).origin == "cached"


def test_an_export_with_damaged_weights_is_caught_by_the_probe(torch_home, weights_file):
    """A file that parses and carries the right fingerprint, but whose numbers changed, fails the probe. (The
    classifier's bias: an untrained MobileNetV3's features are nearly zero, so damage deeper in would not show.)"""
    import onnx

    model = load_model(NAME, weights=str(weights_file))
    path = load_export(model).path
    proto = onnx.load_model_from_string(path.read_bytes())
    bias = next(t for t in proto.graph.initializer if t.name == "net.classifier.4.bias")
    bias.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(bias) + 0.5, bias.name))
    path.write_bytes(proto.SerializeToString())
    engine = load_engine(model, threads=1)
    assert engine.export.origin == "rebuilt: damaged" and agrees(engine, model)


def test_a_stale_export_other_weights_is_rebuilt(torch_home, weights_file):
    old = load_model(NAME, weights=str(weights_file))
    path = load_export(old).path
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        torch.save(load_model(NAME, weights="random").net.state_dict(), weights_file)  # same file, other weights
    new = load_model(NAME, weights=str(weights_file))
    assert export_path(new) == path  # the same key: model, wiring and weights file
    engine = load_engine(new, threads=1)
    assert engine.export.origin == "rebuilt: stale" and agrees(engine, new) and not agrees(engine, old)


def test_each_wiring_has_its_own_export(torch_home, random_weights_folder):
    """Output stride and multi-grid change the convolutions, not the weights: each wiring is its own file."""
    weights = str(random_weights_folder / "resnet50.pth")
    paths = {}
    for output_stride, grid in ((8, (1, 1, 1)), (16, (1, 1, 1)), (16, (1, 2, 4))):
        model = set_output_stride(load_model("resnet50", weights=weights), output_stride, grid)
        paths[output_stride, grid] = export_path(model).name
    assert len(set(paths.values())) == 3
    assert paths[8, (1, 1, 1)].startswith("resnet50-os8-r2.4.4-file-")
    assert paths[16, (1, 2, 4)].startswith("resnet50-os16-r2.4.8-file-")


def test_untrained_weights_are_exported_in_memory_only(torch_home):
    export = load_export(load_model(NAME, weights="random"))
    assert export.origin == "exported" and not export.saved and not cache_dir().exists()


def test_writes_are_atomic_for_concurrent_writers_and_readers(tmp_path):
    """Two writers (two sessions exporting the same model) and a reader: the reader only ever sees a whole file."""
    path = tmp_path / "cache" / "model.onnx"
    payloads = [bytes([k]) * 2**20 for k in range(4)]
    write_atomically(path, payloads[0])
    seen, stop = set(), threading.Event()

    def write(k: int) -> None:
        for _ in range(15):
            write_atomically(path, payloads[k])

    def read() -> None:
        while not stop.is_set():
            data = path.read_bytes()
            seen.add(data[:1] * len(data) == data and len(data) == 2**20)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(k,)) for k in (1, 2, 3)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert seen == {True}
    assert os.listdir(path.parent) == ["model.onnx"]


def test_an_unwritable_cache_costs_only_the_cache(torch_home, weights_file, monkeypatch):
    def refuse(*_):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(engine_export, "write_atomically", refuse)
    model = load_model(NAME, weights=str(weights_file))
    engine = load_engine(model, threads=1)
    assert not engine.export.saved and agrees(engine, model)
