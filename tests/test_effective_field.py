"""One pixel's effective receptive field through a DeepLabv3, against autograd through the network's own forward pass,
and against the theoretical receptive field: nothing outside the box without image pooling, something with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from torch import nn
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation import DeepLabV3
from torchvision.models.segmentation.deeplabv3 import DeepLabHead
from torchvision.ops import SqueezeExcitation

from deeplab_core import effective_field
from deeplab_core.budget import PhotoShapeError, plan_input
from deeplab_core.errors import LabError
from deeplab_core.nets.effective_field import (
    branch_kinds,
    field_copy,
    photo_gradients,
    pixel_field,
    pooling_branch,
    square_side,
)
from deeplab_core.nets.field_box import global_pooling, logit_field, resize_weights
from deeplab_core.nets.model import DeepLab, ModelSpec, architecture
from deeplab_core.nets.network_rf import network_field

MEAN, STD = ModelSpec.mean, ModelSpec.std


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small tensors on one thread: on a busy machine a second thread waits at every operation's barrier (10×)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_net(seed: int = 0, *, rates=(2, 4), gate: bool = False, positive: bool = False) -> DeepLabV3:
    """A DeepLabV3 small enough for hypothesis: three convolutions (output stride 4), torchvision's ASPP and head."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 12, 3, 2, 1)]
    layers += [nn.ReLU(), SqueezeExcitation(12, 4)] if gate else [nn.ReLU()]
    layers += [nn.Conv2d(12, 12, 3, 1, 2, dilation=2), nn.ReLU()]
    backbone = IntermediateLayerGetter(nn.Sequential(*layers), {str(len(layers) - 1): "out"})
    net = DeepLabV3(backbone, DeepLabHead(12, 4, atrous_rates=rates)).eval()
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):  # statistics as after training, so eval mode is not the identity
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
        if positive and isinstance(module, nn.Conv2d):  # every path carries gradient: the support is the field
            module.weight.data.uniform_(0.1, 1.0)
    return net


def photo(height: int, width: int, seed: int = 0, value: int | None = None) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels if value is None else np.full_like(pixels, value))


def reference(net: nn.Module, image: Image.Image, pixel: tuple[int, int], side: int | None = None) -> torch.Tensor:
    """∂(winning score)/∂photo by autograd through net(x)["out"] and the labels' full upsampling: (1, 3, H, W)."""
    H, W = image.height, image.width
    h, w = plan_input(W, H, side or min(H, W)).size
    x = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float().requires_grad_()  # (1, 3, H, W)
    resized = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
    normalised = (resized / 255 - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    logits = F.interpolate(net(normalised)["out"], size=(H, W), mode="bilinear", align_corners=False)  # (1, C, H, W)
    scores = logits[0, :, pixel[0], pixel[1]]
    return torch.autograd.grad(scores[scores.argmax()], x)[0]


def as_field(gradient: torch.Tensor) -> np.ndarray:
    magnitude = gradient.abs().sum(1)[0].double()
    return (magnitude / magnitude.sum()).numpy()


@st.composite
def cases(draw):
    height, width = draw(st.integers(20, 56)), draw(st.integers(20, 56))
    pixel = (draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1)))
    side = draw(st.sampled_from([None, 16, 24, 40]))
    return height, width, pixel, side, draw(st.integers(0, 3))


@settings(max_examples=25, deadline=None)
@given(cases())
def test_field_is_autograd_through_the_network_photo_sized_non_negative_and_sums_to_one(case):
    height, width, pixel, side, seed = case
    net, image = tiny_net(seed), photo(height, width, seed)
    result = pixel_field(net, image, pixel, short_side=side)
    assert result.field.shape == (height, width)
    assert (result.field >= 0).all()
    assert result.field.sum(dtype=np.float64) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(result.field, as_field(reference(net, image, pixel, side)), rtol=1e-4, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(cases())
def test_branch_gradients_add_up_to_the_total_and_the_shares_to_the_field(case):
    height, width, pixel, side, seed = case
    net, image = tiny_net(seed), photo(height, width, seed)
    split = photo_gradients(net, image, pixel, short_side=side, split=True)  # (branches, 3, H, W)
    assert split.shape == (len(branch_kinds(net.classifier[0])), 3, height, width)
    total = reference(net, image, pixel, side)[0]
    torch.testing.assert_close(split.sum(0), total, rtol=1e-4, atol=1e-5 * float(total.abs().max()))
    result = pixel_field(net, image, pixel, short_side=side, maps=True)
    np.testing.assert_allclose(sum(result.maps), result.field, atol=1e-6)
    # the shares come from one forward-mode pass; the maps from one backward pass per branch: they agree
    np.testing.assert_allclose([s.share for s in result.shares], [m.sum() for m in result.maps], atol=1e-5)
    assert sum(s.share for s in result.shares) == pytest.approx(1.0, abs=1e-5)
    assert sum(s.outside for s in result.shares) == pytest.approx(result.outside, abs=1e-5)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 79), st.integers(0, 99), st.integers(0, 3))
def test_without_image_pooling_nothing_lies_outside_the_theoretical_box(row, col, seed):
    net, image = tiny_net(seed), photo(80, 100, seed)
    off = pixel_field(net, image, (row, col), mute=(pooling_branch(net),))
    assert off.outside == 0.0 and off.inside == pytest.approx(1.0)
    assert off.field[~off.box.mask(off.field.shape)].max(initial=0.0) == 0.0
    assert off.shares[pooling_branch(net)].share == 0.0


def test_with_image_pooling_mass_lies_outside_the_box_and_only_pooling_carries_it():
    net, image = tiny_net(1), photo(80, 100, 1)
    on = pixel_field(net, image, (10, 12))
    assert on.box.bottom < 79 and on.box.right < 99  # the box leaves part of the photo out
    assert on.outside > 1e-6
    pooling = pooling_branch(net)
    assert on.shares[pooling].outside == pytest.approx(on.outside, rel=1e-4)
    assert all(abs(s.outside) < 1e-9 for i, s in enumerate(on.shares) if i != pooling)


def test_squeeze_and_excitation_also_reaches_outside_the_box():
    net = tiny_net(2, gate=True)
    assert global_pooling(net) and not global_pooling(tiny_net(2))
    off = pixel_field(net, photo(80, 100, 2), (10, 12), mute=(pooling_branch(net),))
    assert off.outside > 1e-6  # the gate's average reads the whole map: a way out of the box without ASPP


@pytest.mark.parametrize("pixel", [(0, 0), (30, 41), (79, 99), (5, 90)])
@pytest.mark.parametrize("side", [None, 57])
def test_box_is_exactly_where_a_positive_network_has_gradient(pixel, side):
    """With positive weights and a white photo every path carries gradient, so the gradient's support is the whole
    theoretical receptive field: its bounding box must be the box, not merely inside it."""
    net = tiny_net(3, positive=True)
    off = pixel_field(net, photo(80, 100, value=255), pixel, short_side=side, mute=(pooling_branch(net),))
    rows, cols = np.nonzero(off.field)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (
        off.box.top,
        off.box.bottom,
        off.box.left,
        off.box.right,
    )


def test_logit_field_is_the_backbone_and_widest_aspp_branch_plus_the_head():
    for name, stride in (("resnet50", 16), ("resnet50", 8), ("resnet101", 8)):
        net = architecture(name, stride)
        field = logit_field(net)
        assert field.jump == stride
        assert field.size == max(network_field(net).with_aspp) + 2 * stride  # the head's 3×3 at the grid's spacing


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize(("source", "target"), [(7, 3), (5, 12), (40, 13), (9, 9)])
def test_resize_weights_are_what_interpolate_does_to_an_image(source, target, antialias):
    image = torch.rand(1, 1, source, source + 3, dtype=torch.float64)
    out = F.interpolate(image, size=(target, target + 1), mode="bilinear", align_corners=False, antialias=antialias)
    rows, cols = resize_weights(source, target, antialias), resize_weights(source + 3, target + 1, antialias)
    np.testing.assert_allclose(rows @ image[0, 0].numpy() @ cols.T, out[0, 0].numpy(), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 99), st.floats(0.05, 1.0))
def test_square_side_is_the_smallest_centred_square_holding_that_mass(height, width, seed, mass):
    field = np.random.default_rng(seed).random((height, width))
    field /= field.sum()
    pixel = (seed % height, seed % width)
    side = square_side(field, pixel, mass)

    def held(half: int) -> float:
        r, c = pixel
        return field[max(r - half, 0) : r + half + 1, max(c - half, 0) : c + half + 1].sum()

    assert held(side // 2) >= mass - 1e-9
    assert side == 1 or held(side // 2 - 1) < mass - 1e-9


def test_bad_pixel_and_elongated_photo_are_refused_with_catalogue_keys():
    net = tiny_net()
    with pytest.raises(LabError) as caught:
        pixel_field(net, photo(20, 30), (20, 0))
    assert caught.value.key == "pixel_field.error_pixel"
    with pytest.raises(PhotoShapeError):
        pixel_field(net, photo(8, 200), (0, 0))


@pytest.fixture(scope="module")
def mobilenet(random_model) -> DeepLab:
    return random_model("mobilenet_v3_large")  # the session's untrained model (tests/conftest.py), a private copy


def test_real_mobilenet_field_matches_autograd_and_its_fast_copy(mobilenet):
    image, pixel = photo(48, 64, 4), (20, 50)
    field = effective_field(mobilenet, image, pixel)
    assert field.shape == (48, 64) and field.min() >= 0 and field.sum(dtype=np.float64) == pytest.approx(1, abs=1e-5)
    # the photo at torchvision's short side (520): the resize is part of what autograd differentiates
    expected = as_field(reference(mobilenet.net, image, pixel, mobilenet.spec.resize_size))
    scale = float(field.max())  # float32 through 60 layers: compared to the field's peak
    np.testing.assert_allclose(field, expected, rtol=1e-3, atol=1e-3 * scale)
    fast = field_copy(mobilenet)  # BatchNorm folded, channels_last: the same function, the same field
    plain, folded = (pixel_field(m, image, pixel, short_side=96).field for m in (mobilenet, fast))
    np.testing.assert_allclose(folded, plain, rtol=1e-2, atol=1e-2 * float(plain.max()))


def test_contract_with_branches_gives_the_field_and_its_parts():
    net, image = tiny_net(4), photo(30, 44, 4)
    result = effective_field(net, image, [7, 40], branches=True)
    np.testing.assert_array_equal(result.field, effective_field(net, image, (7, 40)))
    assert len(result.maps) == len(result.shares) == 4 and result.pixel == (7, 40)


def test_real_mobilenet_branches_split_the_field_and_its_box_covers_the_photo(mobilenet):
    result = pixel_field(mobilenet, photo(40, 52, 5), (3, 47), short_side=96, maps=True)
    kinds = [s.kind for s in result.shares]
    assert kinds == ["conv1x1", "atrous", "atrous", "atrous", "pooling"]
    assert [s.rate for s in result.shares if s.kind == "atrous"] == [12, 24, 36]
    np.testing.assert_allclose(sum(result.maps), result.field, atol=1e-6)
    np.testing.assert_allclose([s.share for s in result.shares], [m.sum() for m in result.maps], atol=1e-4)
    # a class-score cell of MobileNetV3's DeepLabv3 sees more than 1,800 input pixels across: the whole photo
    assert logit_field(mobilenet.net).size > 520 and (result.box.height, result.box.width) == (40, 52)
    assert result.inside == pytest.approx(1.0) and result.outside == 0.0
    assert global_pooling(mobilenet.net)  # its squeeze-and-excitation blocks
