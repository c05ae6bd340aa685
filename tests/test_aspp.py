"""deeplab_core.nets.aspp against torchvision's ASPP (the oracle) and against the seed note's code run verbatim."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torchvision.models.segmentation.deeplabv3 import ASPP as TorchvisionASPP

from deeplab_core.nets.aspp import ASPP, BRANCH_KINDS, SEED_SOURCE, SeedASPP, atrous_rates, from_torchvision, fuse

IN, OUT = 48, 16  # small channel counts: the structure is the same as 2048 → 256, the test is fast


def _randomise_batch_norm(module: nn.Module) -> None:
    """Give every BN non-trivial running statistics and affine weights, so eval-mode outputs depend on them."""
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.2, 0.2)


def _torchvision(rates=(6, 12, 18), seed: int = 0) -> TorchvisionASPP:
    torch.manual_seed(seed)
    aspp = TorchvisionASPP(IN, rates, OUT)
    _randomise_batch_norm(aspp)
    return aspp.eval()


@pytest.mark.parametrize("rates", [(6, 12, 18), (12, 24, 36), (3, 6, 9)])
def test_structure_matches_torchvision(rates):
    ours, theirs = ASPP(IN, rates, OUT), TorchvisionASPP(IN, rates, OUT)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    leaves = [(m, t) for m, t in zip(ours.modules(), theirs.modules(), strict=True) if not list(t.children())]
    for mine, tv in leaves:
        assert type(mine) is type(tv)  # Conv2d, BatchNorm2d, ReLU, AdaptiveAvgPool2d, Dropout in the same places
        if isinstance(mine, nn.Conv2d):
            for attr in ("kernel_size", "stride", "padding", "dilation", "in_channels", "out_channels"):
                assert getattr(mine, attr) == getattr(tv, attr)
            assert (mine.bias is None) == (tv.bias is None)
    assert atrous_rates(ours) == atrous_rates(theirs) == rates
    assert len(ours.convs) == len(BRANCH_KINDS)


@settings(max_examples=8, deadline=None)
@given(size=st.integers(1, 24), batch=st.integers(1, 2))
def test_loads_torchvision_weights_and_gives_the_same_output(size, batch):
    theirs = _torchvision()
    ours = from_torchvision(theirs).eval()
    x = torch.randn(batch, IN, size, size)  # (B, C, H, W)
    with torch.no_grad():
        expected, got = theirs(x), ours(x)
    assert got.shape == (batch, OUT, size, size)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_state_dict_of_torchvision_loads_directly():
    theirs = _torchvision()
    ours = ASPP(IN, (6, 12, 18), OUT)
    assert ours.load_state_dict(theirs.state_dict()) is not None  # strict: every key matches


@pytest.mark.parametrize("make", [lambda: from_torchvision(_torchvision()).eval(), _torchvision])
def test_muting_none_reproduces_the_forward_pass_exactly(make):
    aspp = make()
    x = torch.randn(1, IN, 17, 17)
    with torch.no_grad():
        branches = [conv(x) for conv in aspp.convs]
        torch.testing.assert_close(fuse(aspp, branches, ()), aspp(x), rtol=0, atol=0)


@pytest.mark.parametrize("branch", range(5))
def test_muting_a_branch_changes_the_output_like_zeroing_its_projection_weights(branch):
    aspp = from_torchvision(_torchvision()).eval()
    x = torch.randn(1, IN, 13, 13)
    with torch.no_grad():
        full, muted = aspp(x), aspp(x, mute={branch})
        assert not torch.equal(full, muted)
        # Oracle: the projection is linear before its BN, so muting branch b equals zeroing its slice of weights.
        cut = from_torchvision(aspp).eval()
        cut.project[0].weight[:, branch * OUT : (branch + 1) * OUT] = 0
        torch.testing.assert_close(muted, cut(x), rtol=1e-5, atol=1e-6)


def test_pooling_branch_is_constant_over_the_map():
    aspp = from_torchvision(_torchvision()).eval()
    with torch.no_grad():
        pooled = aspp.convs[4](torch.randn(1, IN, 9, 11))  # (1, OUT, 9, 11)
    assert pooled.shape == (1, OUT, 9, 11)
    assert torch.allclose(pooled, pooled[:, :, :1, :1].expand_as(pooled))


def test_seed_code_run_verbatim_warns_and_matches_seed_aspp():
    namespace = {"nn": nn, "F": F, "torch": torch}
    exec(SEED_SOURCE, namespace)  # the seed note's code as shown on the page
    torch.manual_seed(1)
    verbatim = namespace["ASPP"](in_channel=IN, depth=OUT).eval()
    ours = SeedASPP(IN, OUT).eval()
    ours.load_state_dict(verbatim.state_dict())  # same attribute names, same shapes
    x = torch.randn(2, IN, 10, 10)
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        warnings.simplefilter("always")
        expected = verbatim(x)
    assert any("upsample" in str(w.message) for w in caught)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), expected, rtol=0, atol=0)
    assert expected.shape == (2, OUT, 10, 10)


def test_seed_has_no_batch_norm_and_deeplabv3_has_one_per_branch_and_projection():
    seed, bn = SeedASPP(IN, OUT), ASPP(IN, (6, 12, 18), OUT)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in seed.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in bn.modules()) == len(bn.convs) + 1
