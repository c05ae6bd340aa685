"""The segment page's engine (ONNX Runtime) against the torch pipeline and torchvision's recipe, on random weights
saved to a state-dict file; the thread policy; the fallbacks (no onnxruntime, a GPU, out of memory)."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import deeplab_core
from deeplab_core.config import thread_policy, usable_cores
from deeplab_core.nets import engine as engine_module
from deeplab_core.nets import engine_top1
from deeplab_core.nets.device import apply_thread_policy, engine_version
from deeplab_core.nets.engine import Engine, fast_model, load_engine
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.memory import OutOfMemoryError
from deeplab_core.nets.model import load_model
from deeplab_core.nets.segmentation import preprocess, reference_logits, reference_segment, segment, top1
from tests.paths import ROOT

CPU = torch.device("cpu")


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth synthetic photo: gradients plus noise, so the network sees structure."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)  # (H, W)
    channels = [np.sin(6 * x + p) * np.cos(5 * y - p) for p in rng.uniform(0, 3, 3)]  # 3 × (H, W)
    pixels = (np.stack(channels, -1) * 0.5 + 0.5) * 255 + rng.normal(0, 8, (height, width, 3))  # (H, W, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.abs(got - expected).max() / np.abs(expected).max())


def needs_engine() -> None:
    """The engine's tests run where onnxruntime is installed (requirements.txt); the GPU machine has only torch."""
    if engine_version() is None:
        pytest.skip("onnxruntime/onnx not installed: the engine's tests need them (pip install -r requirements.txt)")


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory):
    """The export cache of this module: a TORCH_HOME of its own, never the developer's."""
    home = tmp_path_factory.mktemp("torch_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        yield home


@pytest.fixture(scope="module", params=["mobilenet_v3_large", "resnet50"])
def models(request, random_weights_folder, torch_home):
    """(model, its engine), the model loaded from a random state dict through load_model(weights=path)."""
    needs_engine()
    model = load_model(request.param, weights=str(random_weights_folder / f"{request.param}.pth"), device="cpu")
    return model, load_engine(model, threads=2)


def test_engine_logits_match_the_reference(models):
    model, engine = models
    image = photo(150, 112)
    expected = reference_logits(model, image, short_side=80).numpy()  # (1, C, h, w)
    got = engine.logits(preprocess(image, model.spec, 80, CPU).contiguous().numpy())
    assert got.shape == expected.shape == (1, 21, 80, 107)
    assert relative_error(got, expected) < 1e-4


def test_segment_with_the_engine_is_the_torch_pipeline(models):
    """The contract: segment(fast_model(model), image) returns what the torch pipeline and the reference give."""
    model, engine = models
    image = photo(96, 128, seed=1)
    seg = segment(engine, image, short_side=72)
    torch_seg = segment(inference_copy(model, "cpu"), image, short_side=72)
    labels, probability = reference_segment(model, image, short_side=72)
    assert seg.labels.shape == (128, 96) and seg.labels.dtype == np.int64
    assert seg.probabilities.shape == (128, 96) and seg.probabilities.dtype == np.float32
    assert np.mean(seg.labels == torch_seg.labels) >= 0.999 and np.mean(seg.labels == labels) >= 0.999
    np.testing.assert_allclose(seg.probabilities, probability, atol=1e-4)
    assert (seg.network_size, seg.plan, seg.categories) == (
        torch_seg.network_size,
        torch_seg.plan,
        model.spec.categories,
    )
    assert seg.timings.device == "cpu" and seg.timings.engine == "onnxruntime"
    assert min(seg.timings.preprocess_ms, seg.timings.inference_ms, seg.timings.postprocess_ms) > 0


@pytest.fixture(scope="module")
def mobilenet(random_weights_folder, torch_home):
    needs_engine()
    model = load_model("mobilenet_v3_large", weights=str(random_weights_folder / "mobilenet_v3_large.pth"))
    return model, load_engine(model, threads=1)


@settings(max_examples=4, deadline=None)
@given(height=st.integers(17, 96), width=st.integers(17, 96))
def test_one_export_serves_every_input_size(mobilenet, height, width):
    """Height and width are free in the graph: any input gives the model's logits at that size."""
    model, engine = mobilenet
    x = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(height * 1000 + width))
    with torch.inference_mode():
        expected = model.net(x)["out"].numpy()  # (1, C, height, width)
    got = engine.logits(x.numpy())
    assert got.shape == (1, 21, height, width)
    assert relative_error(got, expected) < 1e-4


def upsampled(logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(1, C, h, w) → (1, C, H, W), bilinear as the page's top-1 upsamples."""
    return torch.nn.functional.interpolate(logits, size=size, mode="bilinear", align_corners=False)


def near_ties(up: torch.Tensor) -> np.ndarray:
    """(H, W) pixels whose two best classes lie within float32 rounding: either may win."""
    top2 = up[0].topk(2, dim=0).values  # (2, H, W)
    return (top2[0] - top2[1] < 1e-5).numpy()


@settings(max_examples=8, deadline=None)
@given(h=st.integers(2, 12), w=st.integers(2, 12), out_h=st.integers(1, 40), out_w=st.integers(1, 40))
def test_engine_top1_is_softmax_max_of_the_upsampled_logits(mobilenet, h, w, out_h, out_w):
    _, engine = mobilenet
    logits = torch.randn(1, 21, h, w, generator=torch.Generator().manual_seed(h * w + out_h)) * 3  # (1, C, h, w)
    up = upsampled(logits, (out_h, out_w))  # (1, C, H, W)
    probability, labels = torch.softmax(up, dim=1)[0].max(dim=0)  # (H, W), (H, W)
    got_labels, got_probability = engine.top1(logits.numpy(), (out_h, out_w))
    assert np.all((got_labels == labels.numpy()) | near_ties(up))
    np.testing.assert_allclose(got_probability, probability.numpy(), atol=1e-5)


@settings(max_examples=8, deadline=None)
@given(h=st.integers(1, 9), out_h=st.integers(1, 50), out_w=st.integers(1, 30), rows=st.integers(1, 7))
def test_engine_top1_in_bands_is_the_same_as_in_one(mobilenet, h, out_h, out_w, rows):
    """Bands of any height give torch's top-1: the rows' two sources and weights are PyTorch's own."""
    _, engine = mobilenet
    logits = torch.randn(1, 21, h, 6, generator=torch.Generator().manual_seed(h * out_h + rows)) * 3  # (1, C, h, w)
    expected_labels, expected_probability = top1(logits.clone(), (out_h, out_w))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_top1, "BAND_BYTES", 4 * 21 * out_w * rows)  # `rows` output rows a band
        assert engine_top1.band_rows(21, out_w) == rows
        labels, probability = engine.top1(logits.numpy(), (out_h, out_w))
    assert np.all((labels == expected_labels.numpy()) | near_ties(upsampled(logits, (out_h, out_w))))
    np.testing.assert_allclose(probability, expected_probability.numpy(), atol=1e-5)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the process's RSS from /proc (Linux)")
def test_engine_top1_gives_a_large_photos_memory_back(mobilenet):
    """Upsampled at once, a 2048×1536 photo's logits are 264 MB of float32 (and two more such buffers for the
    reductions), which ONNX Runtime's arena kept for the process (~850 MB after one camera photo); in bands, what
    stays is a few bands' worth."""
    _, engine = mobilenet
    logits = np.random.default_rng(0).normal(size=(1, 21, 65, 87)).astype(np.float32)  # (1, C, h, w)
    engine.top1(logits, (8, 8))  # the session is built
    before = rss_bytes()
    labels, probability = engine.top1(logits, (1536, 2048))
    del labels, probability
    assert rss_bytes() - before < 150 * 2**20


def test_fast_model_is_the_engine_on_a_cpu_and_public(mobilenet, monkeypatch):
    model, _ = mobilenet
    assert deeplab_core.fast_model is fast_model
    page = fast_model(model, "cpu")
    assert isinstance(page, Engine) and page.export.origin == "cached"
    monkeypatch.setattr(engine_module, "engine_version", lambda: None)  # onnxruntime missing, as on the GPU machine
    assert not isinstance(fast_model(model, "cpu"), Engine)


def test_thread_policy_is_applied_to_torch_and_the_engine(mobilenet):
    policy = apply_thread_policy()
    assert policy == thread_policy() and apply_thread_policy() is policy  # once, and the same thereafter
    assert torch.get_num_threads() == policy.torch
    model, _ = mobilenet
    page = fast_model(model, "cpu")
    assert isinstance(page, Engine) and page.threads == policy.engine
    assert page.session.get_session_options().intra_op_num_threads == policy.engine


@pytest.mark.parametrize("cores, expected", [(1, (1, 1, 1)), (2, (1, 2, 1)), (16, (15, 16, 1))])
def test_thread_policy_keeps_a_core_for_the_server(cores, expected):
    policy = thread_policy(cores)
    assert (policy.torch, policy.engine, policy.crf) == expected and policy.cores == cores
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def test_engine_out_of_memory_is_the_translated_answer(mobilenet):
    _, engine = mobilenet

    class Exhausted:
        def run(self, *_):
            raise Exception("Failed to allocate memory for requested buffer of size 123")  # ORT's own words

    with pytest.raises(OutOfMemoryError):
        segment(dataclasses.replace(engine, session=Exhausted()), photo(40, 30), short_side=32)


def test_cli_and_torch_path_need_neither_onnxruntime_nor_ui_libraries():
    """The GPU machine has torch but not onnxruntime, streamlit or plotly: the bench and fast_model's torch path
    import and run where those cannot be imported at all."""
    code = (
        "import importlib.abc, sys, torch, torchvision  # these two probe for optional packages themselves\n"
        "class Absent(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('onnxruntime', 'onnx', 'streamlit', 'plotly'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        "import deeplab_core.bench\n"
        "from deeplab_core.nets.engine import fast_model\n"
        "from deeplab_core.nets.model import load_model\n"
        "from deeplab_core.nets.segmentation import segment\n"
        "from PIL import Image\n"
        "m = load_model('mobilenet_v3_large', weights='random')\n"
        "page = fast_model(m, 'cpu')\n"
        "assert type(page).__name__ == 'DeepLab', type(page)\n"
        "assert segment(page, Image.new('RGB', (40, 30)), short_side=32).timings.engine == 'torch'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def resnet(random_weights_folder):
    return load_model("resnet50", weights=str(random_weights_folder / "resnet50.pth"), device="cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_fast_model_on_a_gpu_is_the_torch_half_precision_path(resnet):
    model = resnet
    page = fast_model(model, "cuda")
    assert not isinstance(page, Engine) and page.device.type == "cuda"
    seg = segment(page, photo(320, 240, seed=2))
    assert seg.timings.device == "cuda" and seg.timings.engine == "torch"
    cpu = segment(inference_copy(model, "cpu"), photo(320, 240, seed=2))
    assert np.mean(seg.labels == cpu.labels) >= 0.995
