"""Receptive fields, coverage and the effective receptive field, checked against autograd through real convs."""

import itertools
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deeplab_core.errors import LabError
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.maths.dilation import ConvArithmeticError
from deeplab_core.maths.effective_rf import effective_receptive_field, erf_stats
from deeplab_core.maths.receptive_field import (
    ConvLayer,
    check_stack,
    coverage,
    holes,
    output_sizes,
    receptive_field,
    same_conv,
    window_on_input,
)

layer_st = st.builds(
    ConvLayer,
    kernel_size=st.integers(1, 4),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 4),
    padding=st.integers(0, 3),
)
stack_st = st.lists(layer_st, min_size=1, max_size=4)


def _run_stack(layers, x: torch.Tensor) -> torch.Tensor:
    """1-D conv stack with all weights 1 (positive, so no gradient cancels). x: (1, 1, N)."""
    for layer in layers:
        w = torch.ones(1, 1, layer.kernel_size, dtype=x.dtype)  # (C_out, C_in, k)
        x = F.conv1d(x, w, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
    return x


@settings(max_examples=60, deadline=None)
@given(stack_st)
def test_size_jump_start_match_autograd(layers):
    record = receptive_field(layers)[-1]
    n = 4 * record.size + 4 * record.jump + 8
    try:
        out = output_sizes(layers, n)[-1]
    except ConvArithmeticError:
        assume(False)
    interior = [u for u in range(out) if record.window(u)[0] >= 0 and record.window(u)[1] <= n - 1]
    assume(len(interior) >= 2)
    x = torch.rand(1, 1, n, dtype=torch.float64, requires_grad=True)
    y = _run_stack(layers, x)  # (1, 1, out)
    assert y.shape[-1] == out
    firsts = []
    for u in interior[:2]:
        (grad,) = torch.autograd.grad(y[0, 0, u], x, retain_graph=True)
        seen = torch.nonzero(grad[0, 0]).flatten()
        first, last = int(seen.min()), int(seen.max())
        assert last - first + 1 == record.size
        assert (first + last) / 2 == pytest.approx(record.centre(u))
        firsts.append(first)
    assert (firsts[1] - firsts[0]) == record.jump * (interior[1] - interior[0])


def _brute_force_paths(layers) -> np.ndarray:
    """Enumerate every chain of taps, one per layer, and count where each chain lands."""
    jumps = [1] + [r.jump for r in receptive_field(layers)][:-1]
    counts = Counter(
        sum(t * layer.dilation * j for t, layer, j in zip(taps, layers, jumps, strict=True))
        for taps in itertools.product(*(range(layer.kernel_size) for layer in layers))
    )
    paths = np.zeros(receptive_field(layers)[-1].size, dtype=np.int64)
    for position, count in counts.items():
        paths[position] = count
    return paths


@settings(max_examples=60, deadline=None)
@given(stack_st)
def test_coverage_matches_brute_force_and_autograd(layers):
    paths = coverage(layers)
    np.testing.assert_array_equal(paths, _brute_force_paths(layers))
    # All-ones weights, no padding, an input exactly one field wide: the gradient of the single output counts paths.
    unpadded = [ConvLayer(layer.kernel_size, layer.stride, layer.dilation) for layer in layers]
    x = torch.zeros(1, 1, len(paths), dtype=torch.float64, requires_grad=True)
    y = _run_stack(unpadded, x)
    assert y.shape[-1] == 1
    (grad,) = torch.autograd.grad(y.sum(), x)
    np.testing.assert_array_equal(grad[0, 0].numpy(), paths)


def _stack(rates):
    return [same_conv(3, r) for r in rates]


def test_context_module_reaches_67_without_holes():
    layers = _stack((1, 1, 2, 4, 8, 16, 1))
    assert [r.size for r in receptive_field(layers)] == [3, 5, 9, 17, 33, 65, 67]
    assert len(coverage(layers)) == 67 and not len(holes(layers))


@pytest.mark.parametrize(
    "rates, has_holes",
    [
        ((1, 2, 5), False),
        ((2, 2, 2), True),
        ((2, 4, 8), True),
        ((1, 2, 4, 8), False),
        ((1, 2, 9), True),
        ((2, 3), True),
    ],
)
def test_gridding_cases(rates, has_holes):
    assert bool(len(holes(_stack(rates)))) == has_holes


def test_plain_stack_grows_linearly_dilated_exponentially():
    assert [r.size for r in receptive_field(_stack((1,) * 5))] == [3, 5, 7, 9, 11]
    assert [r.size for r in receptive_field(_stack((1, 2, 4, 8, 16)))] == [3, 7, 15, 31, 63]


def test_output_sizes_names_the_layer_that_cannot_fit():
    with pytest.raises(ConvArithmeticError) as info:
        output_sizes([same_conv(3), ConvLayer(7, dilation=64)], 300)
    assert info.value.reason == "too_large" and info.value.layer == 2
    assert info.value.key == "errors.layer.too_large" and info.value.values["layer"] == 2


@pytest.mark.parametrize(
    "layers, key",
    [
        ((), "errors.stack.layers"),
        ((same_conv(3),) * 13, "errors.stack.layers"),
        ((same_conv(3), ConvLayer(7, dilation=64)), "errors.layer.too_large"),
        ((same_conv(3, 512), same_conv(3, 512), same_conv(3, 512)), "errors.stack.rf_too_large"),
    ],
)
def test_check_stack_raises_a_translatable_error(layers, key):
    with pytest.raises(LabError) as info:
        check_stack(layers, (451, 300), max_layers=12, max_size=2049)
    assert info.value.key == key
    for lang in LANGUAGES:
        assert "{" not in text(info.value.key, lang, **info.value.values)


def test_check_stack_accepts_a_stack_that_fits():
    check_stack((same_conv(3, 2),) * 3, (451, 300), max_layers=12, max_size=2049)


def test_window_on_input_counts_padding():
    record = receptive_field(_stack((1, 1)))[-1]  # size 5, start 0: unit 0 spans -2..2
    assert window_on_input(record, 0, 10) == pytest.approx(3 / 5)
    assert window_on_input(record, 5, 10) == 1.0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.builds(ConvLayer, kernel_size=st.integers(1, 4), stride=st.integers(1, 2), dilation=st.integers(1, 3)),
        min_size=1,
        max_size=3,
    )
)
def test_uniform_erf_is_the_path_count_and_random_erf_has_its_holes(layers):
    paths = coverage(layers).astype(float)
    uniform = effective_receptive_field(layers, weights="uniform")
    np.testing.assert_allclose(uniform, np.outer(paths, paths) / paths.sum() ** 2, atol=1e-12)
    random = effective_receptive_field(layers, weights="random", samples=4)
    assert random.shape == uniform.shape and random.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(random == 0, np.outer(paths, paths) == 0)


@pytest.mark.parametrize("depth", [2, 5, 9])
def test_erf_sigma_of_plain_stack_is_sqrt_of_depth(depth):
    # A sum of `depth` independent offsets uniform on {-1, 0, 1} has variance 2 depth / 3 (Luo et al.'s sqrt(n)).
    stats = erf_stats(effective_receptive_field(_stack((1,) * depth)))
    assert stats.sigma == pytest.approx(np.sqrt(2 * depth / 3))
    assert stats.theoretical == 2 * depth + 1 and stats.side_95 <= stats.theoretical


def test_growth_animation_is_a_valid_plotly_figure_with_a_frame_per_layer():
    """The frames are built unvalidated for speed; plotly must accept the whole figure."""
    import plotly.graph_objects as go

    from deeplab_core.figures.receptive_field import growth_animation

    layers = [ConvLayer(3, dilation=d, padding=d) for d in (1, 2, 5)]
    spec = growth_animation(layers, "zh")
    assert len(go.Figure(spec).frames) == 3
