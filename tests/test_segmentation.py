"""The project's pipeline against torchvision's reference recipe, on random weights saved to a state-dict file."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from deeplab_core.nets.fast_inference import activations_in_place, fuse_batchnorm, inference_copy
from deeplab_core.nets.model import load_model
from deeplab_core.nets.segmentation import network_size, preprocess, reference_logits, reference_segment, segment, top1


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth synthetic photo: gradients plus a few blobs, so the network sees structure."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)  # (H, W)
    channels = [np.sin(6 * x + p) * np.cos(5 * y - p) for p in rng.uniform(0, 3, 3)]  # 3 × (H, W)
    pixels = (np.stack(channels, -1) * 0.5 + 0.5) * 255 + rng.normal(0, 8, (height, width, 3))  # (H, W, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module", params=["mobilenet_v3_large", "resnet50"])
def models(request, random_weights_folder):
    """(reference model, inference copy), both loaded from one random state dict through load_model(weights=path)."""
    path = random_weights_folder / f"{request.param}.pth"
    reference = load_model(request.param, weights=str(path), device="cpu")
    return reference, inference_copy(reference, "cpu")


def test_logits_match_the_reference(models):
    reference, fast = models
    image = photo(150, 112)
    expected = reference_logits(reference, image, short_side=80)  # (1, C, h, w)
    with torch.inference_mode():
        got = fast.net(preprocess(image, fast.spec, 80, torch.device("cpu")))["out"]  # (1, C, h, w)
    assert got.shape == expected.shape == (1, 21, 80, 107)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())


def test_label_map_matches_the_reference(models):
    reference, fast = models
    image = photo(96, 128, seed=1)
    seg = segment(fast, image, short_side=72)
    labels, probability = reference_segment(reference, image, short_side=72)
    assert seg.labels.shape == (128, 96) and seg.labels.dtype == np.int64
    assert seg.probabilities.shape == (128, 96)
    assert np.mean(seg.labels == labels) >= 0.999
    np.testing.assert_allclose(seg.probabilities, probability, atol=1e-4)
    assert seg.network_size == (96, 72)
    assert seg.timings.device == "cpu" and min(seg.timings.preprocess_ms, seg.timings.inference_ms) > 0


def test_the_reference_model_is_left_alone(models):
    reference, fast = models
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in reference.net.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.net.modules())
    assert fast.spec == reference.spec


def test_fuse_batchnorm_folds_every_batchnorm(random_model):
    model = random_model("mobilenet_v3_large")
    count = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.net.modules())
    assert fuse_batchnorm(model.net) == count
    assert activations_in_place(model.net) > 0


@settings(max_examples=20, deadline=None)
@given(
    channels=st.integers(2, 6),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    out_h=st.integers(1, 12),
    out_w=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_top1_is_softmax_max(channels, h, w, out_h, out_w, seed):
    logits = torch.randn(1, channels, h, w, generator=torch.Generator().manual_seed(seed)) * 4  # (1, C, h, w)
    up = torch.nn.functional.interpolate(logits, size=(out_h, out_w), mode="bilinear", align_corners=False)
    probability, labels = torch.softmax(up, dim=1)[0].max(dim=0)  # (H, W), (H, W)
    got_labels, got_probability = top1(logits.clone(), (out_h, out_w))
    assert torch.equal(got_labels, labels)
    torch.testing.assert_close(got_probability, probability)


@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 400), height=st.integers(1, 400), short=st.sampled_from([32, 320, 520]))
def test_network_size_matches_torchvision_resize(width, height, short):
    resized = TF.resize(
        Image.new("RGB", (width, height)), [short], interpolation=InterpolationMode.BILINEAR, antialias=True
    )
    assert network_size(width, height, short) == (resized.height, resized.width)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_gpu_pipeline_agrees_with_cpu(models):
    reference, fast = models
    image = photo(320, 240, seed=2)
    cpu = segment(fast, image)
    gpu = segment(inference_copy(reference, "cuda"), image)
    assert gpu.timings.device == "cuda"
    assert np.mean(gpu.labels == cpu.labels) >= 0.995
