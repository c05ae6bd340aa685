"""The overview lesson: stage sizes against PyTorch and torchvision's ResNet, and the page in both languages."""

import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from deeplab_core.figures.overview import DESIGNS, design_figure, resolution_figure
from deeplab_core.i18n import LANGUAGES, catalogue
from deeplab_core.maths.resolution import OUTPUT_STRIDES, final_size, object_cells, stage_sizes
from lessons import COURSE, available_lessons
from tests.apptest_support import open_page


def torch_stack_sides(x: torch.Tensor, output_stride: int) -> list[int]:
    """Sides after conv1, max pool, layer1..layer4 of a one-channel ResNet-shaped stack run by PyTorch."""
    w7, w3 = torch.ones(1, 1, 7, 7, device=x.device), torch.ones(1, 1, 3, 3, device=x.device)
    x = F.conv2d(x, w7, stride=2, padding=3)
    sides = [x.shape[-1]]
    x = F.max_pool2d(x, 3, stride=2, padding=1)
    sides += [x.shape[-1], x.shape[-1]]  # layer1 keeps the size
    stride, rate = 4, 1
    for _ in range(3):  # layer2..layer4
        if stride < output_stride:
            x, stride = F.conv2d(x, w3, stride=2, padding=1), stride * 2
        else:
            rate *= 2
            x = F.conv2d(x, w3, padding=rate, dilation=rate)
        sides.append(x.shape[-1])
    return sides


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 1200), output_stride=st.sampled_from(OUTPUT_STRIDES))
def test_stage_sizes_match_a_torch_stack(size: int, output_stride: int) -> None:
    x = torch.empty(1, 1, size, size, device="meta")  # shapes only: PyTorch's own shape rules, no arithmetic
    assert [s.size for s in stage_sizes(size, output_stride)] == torch_stack_sides(x, output_stride)


@pytest.mark.parametrize("size", [1, 2, 33, 64, 65])
def test_stage_sizes_match_a_real_cpu_run(size: int) -> None:
    x = torch.zeros(1, 1, size, size)  # (B, C, H, W)
    assert [s.size for s in stage_sizes(size, 32)] == torch_stack_sides(x, 32)


@pytest.mark.parametrize("output_stride", OUTPUT_STRIDES)
@pytest.mark.parametrize("size", [97, 513])
def test_stage_sizes_match_torchvision_resnet50(size: int, output_stride: int) -> None:
    dilate = {32: [False, False, False], 16: [False, False, True], 8: [False, True, True]}[output_stride]
    with torch.device("meta"):  # real module graph, no weights to initialise, no arithmetic to run
        model = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=dilate).eval()
    seen: dict[str, int] = {}
    for stage in stage_sizes(size, output_stride):
        getattr(model, stage.name).register_forward_hook(
            lambda _m, _i, out, name=stage.name: seen.__setitem__(name, out.shape[-1])
        )
    model(torch.empty(1, 3, size, size, device="meta"))
    for stage in stage_sizes(size, output_stride):
        assert seen[stage.name] == stage.size, stage.name
        if stage.name.startswith("layer"):
            assert getattr(model, stage.name)[-1].conv2.dilation == (stage.rate, stage.rate), stage.name


def test_the_papers_example() -> None:
    assert [final_size(513, os) for os in OUTPUT_STRIDES] == [17, 33, 65]
    assert [s.stride for s in stage_sizes(513, 16)] == [2, 4, 4, 8, 16, 16]
    assert stage_sizes(513, 8)[-1].rate == 4


@given(size=st.integers(1, 2000), output_stride=st.sampled_from(OUTPUT_STRIDES))
def test_object_cells(size: int, output_stride: int) -> None:
    assert object_cells(size, size, output_stride) == pytest.approx(final_size(size, output_stride))
    assert object_cells(0, size, output_stride) == 0


def test_invalid_output_stride() -> None:
    with pytest.raises(ValueError, match="Output stride"):
        stage_sizes(513, 4)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_figures_and_course_map_text(lang: str) -> None:
    for design in DESIGNS:
        assert design_figure(design, lang).layout.shapes
    fig = resolution_figure(129, lang, log_y=True)
    assert [bar.y[-1] for bar in fig.data] == [final_size(129, os) for os in OUTPUT_STRIDES]
    assert all(f"overview.map.{lesson.slug}" in catalogue(lang) for lesson in COURSE)


def run_page(lang: str) -> AppTest:
    at = open_page("overview", lang)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_runs_and_reacts(lang: str) -> None:
    at = run_page(lang)
    assert at.title[0].value == catalogue(lang)["overview.title"]
    assert [m.value for m in at.metric] == [f"{final_size(513, os)} × {final_size(513, os)}" for os in OUTPUT_STRIDES]
    links = at.get("page_link")
    assert len(links) == len(available_lessons()) - 1  # every other lesson that exists, not the page itself
    at.slider(key="input").set_value(321).run()
    assert not at.exception
    assert at.metric[0].value == f"{final_size(321, 32)} × {final_size(321, 32)}"
