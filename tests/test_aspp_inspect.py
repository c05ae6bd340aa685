"""deeplab_core.nets.aspp_probe on a real (untrained) DeepLabv3: hooks, shares, ablation that reproduces exactly."""

import numpy as np
import pytest
import torch

from deeplab_core.nets.aspp_probe import ablate, branch_views, head_logits, probe, projection_shares, run_both

SIZE = 129  # output stride 8: a 17×17 map


@pytest.fixture(scope="module")
def model(random_model):
    return random_model("resnet50").net


@pytest.fixture(scope="module")
def seen(model):
    torch.manual_seed(1)
    return probe(model, torch.randn(1, 3, SIZE, SIZE))


def test_probe_keeps_every_branch_and_the_networks_labels(model, seen):
    assert len(seen.branches) == 5
    assert all(b.shape == (1, 256, 17, 17) for b in seen.branches)
    assert seen.features_shape == (2048, 17, 17)
    assert seen.rates == (12, 24, 36)
    assert seen.labels.shape == (SIZE, SIZE)
    assert not model.classifier[0].convs[0]._forward_hooks


def test_muting_none_reproduces_the_networks_output_exactly(model, seen):
    torch.manual_seed(1)
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        expected = model(x)["out"]
    torch.testing.assert_close(head_logits(model, seen.branches, seen.input_size), expected, rtol=0, atol=0)
    assert ablate(model, seen, ()).changed_pixels == 0


@pytest.mark.parametrize("branch", range(5))
def test_muting_a_branch_changes_the_logits_and_counts_changed_pixels(model, seen, branch):
    full = head_logits(model, seen.branches, seen.input_size)
    muted = head_logits(model, seen.branches, seen.input_size, {branch})
    assert not torch.equal(full, muted)
    result = ablate(model, seen, {branch})
    assert result.changed_pixels == int((muted[0].argmax(0).numpy() != seen.labels).sum())
    assert 0 <= result.changed_fraction <= 1


def test_projection_shares_add_up_and_match_a_dense_computation(model, seen):
    shares = projection_shares(model.classifier[0], seen.branches)
    assert sum(shares) == pytest.approx(1.0)
    weight = model.classifier[0].project[0].weight[:, :, 0, 0]  # (256, 1280)
    concatenated = torch.cat(seen.branches, dim=1)[0].flatten(1)  # (1280, h·w)
    norms = [
        (weight[:, i * 256 : (i + 1) * 256] @ concatenated[i * 256 : (i + 1) * 256]).norm().item() for i in range(5)
    ]
    assert shares == pytest.approx([n / sum(norms) for n in norms], rel=1e-4)


def test_branch_views_pick_the_strongest_channels(seen):
    views = branch_views(seen, k=3)
    assert [v.kind for v in views] == ["conv1x1", "atrous", "atrous", "atrous", "pooling"]
    assert [v.rate for v in views] == [None, 12, 24, 36, None]
    for view, out in zip(views, seen.branches, strict=True):
        means = out[0].mean(dim=(1, 2))
        assert means[list(view.strongest)].tolist() == sorted(means.tolist(), reverse=True)[:3]
        np.testing.assert_allclose(view.mean, out[0].mean(0).numpy(), rtol=1e-6)
    pooled = views[-1].mean
    assert np.allclose(pooled, pooled[0, 0])  # image-level features are the same everywhere


def test_seed_and_deeplabv3_aspp_give_the_same_shapes_with_and_without_batch_norm():
    seed, bn = run_both(64, 9, depth=32)
    assert seed.output_shape == bn.output_shape == (1, 32, 9, 9)
    assert all(shape == (1, 32, 9, 9) for _, shape in seed.concatenated + bn.concatenated)
    assert (seed.batch_norms, bn.batch_norms) == (0, 6)
