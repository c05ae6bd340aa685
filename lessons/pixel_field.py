"""Where does this pixel look? One photo pixel's effective receptive field through the real DeepLabv3."""

import time
from dataclasses import dataclass
from typing import Any

import streamlit as st
from PIL import Image

from deeplab_core.budget import plan_input
from deeplab_core.config import (
    ASPP_RATES,
    DEEPLAB_OUTPUT_STRIDES,
    MODEL_NAMES,
    MULTI_GRID,
    NO_MULTI_GRID,
    RESNETS,
    RESOLUTIONS,
)
from deeplab_core.figures.pixel_field import field_figure, pick_figure, shares_figure
from deeplab_core.figures.segment import class_name
from deeplab_core.nets.device import default_device
from deeplab_core.nets.effective_field import PASSES, PixelField, field_copy, pixel_field, pooling_branch, square_side
from deeplab_core.nets.field_box import aspp_rates, global_pooling, logit_field, photo_box, wiring
from deeplab_core.nets.model import DeepLab
from deeplab_core.nets.segmentation import Segmentation, segment
from deeplab_core.nets.workload import Work
from lessons.parts.models import get_model
from lessons.parts.photo_input import ModelChoice, budget_note, network, pick_photo
from lessons.parts.quiz import quiz
from lessons.parts.runner import run_job
from lessons.parts.ui import chart, header, language, section, show_source, t, what_to_notice
from lessons.parts.widgets import choice, int_slider, selectbox, toggle

LESSON = "pixel_field"
CLICK = "pf_click"  # the clickable photo's selection state
ROW, COL = "pf_row", "pf_col"  # the pixel, bound to the URL like every control
HALF = 0.5  # the square drawn around the pixel holds this much of the field
STILL = {"displayModeBar": False}  # no zoom toolbar: a tap picks a pixel, and on a phone the bar covered the titles


@dataclass(frozen=True)
class View:
    name: str
    short_side: int
    output_stride: int | None  # None: MobileNetV3's own wiring
    multi_grid: tuple[int, ...]
    pooling: bool


def controls(device: str) -> View:
    cols = st.columns(2)
    name = selectbox("pf_net", "pixel_field.backbone", MODEL_NAMES, format_key="segment.model_name", container=cols[0])
    res = choice(
        "pf_res", "pixel_field.resolution", RESOLUTIONS, default=0 if device == "cpu" else 1, container=cols[1]
    )
    output_stride, multi_grid = None, NO_MULTI_GRID
    if name in RESNETS:
        rates = "; ".join(f"{os_}: {', '.join(map(str, ASPP_RATES[os_]))}" for os_ in DEEPLAB_OUTPUT_STRIDES)
        output_stride = choice(
            "pf_os",
            "pixel_field.output_stride",
            DEEPLAB_OUTPUT_STRIDES,
            help_key="pixel_field.output_stride_help",
            help_values={"rates": rates},
        )
        if toggle("pf_mg", "pixel_field.multi_grid", help_key="pixel_field.multi_grid_help"):
            multi_grid = MULTI_GRID
    pooling = toggle("pf_pool", "pixel_field.pooling", default=True, help_key="pixel_field.pooling_help")
    return View(name, int(res), output_stride, multi_grid, pooling)


@st.cache_resource(max_entries=2, show_spinner=False)
def field_model(
    name: str, weights: str, device: str, output_stride: int | None, multi_grid: tuple[int, ...]
) -> DeepLab:
    """The shared model's copy for gradients (BatchNorm folded, channels_last); the shared one stays untouched."""
    return field_copy(get_model(name, weights, device, output_stride, multi_grid))


def _apply_click() -> None:
    """A click on the photo moves the two sliders to that pixel (before they are drawn on the rerun)."""
    points = st.session_state[CLICK]["selection"]["points"]
    if points:
        st.session_state[ROW], st.session_state[COL] = round(points[0]["y"]), round(points[0]["x"])


def choose_pixel(image: Image.Image, seg: Segmentation) -> tuple[tuple[int, int], Any]:
    """The two sliders (keyboard, and the link), then the photo to click beside the column the field goes in."""
    section(LESSON, "pick")
    cols = st.columns(2)
    row = int_slider(ROW, "pixel_field.row", 0, image.height - 1, image.height // 2, container=cols[0])
    col = int_slider(COL, "pixel_field.col", 0, image.width - 1, image.width // 2, container=cols[1])
    left, right = st.columns(2)  # click on the left, see where it looks on the right (stacked on a phone)
    figure = pick_figure(image, seg.labels, seg.categories, (row, col), language())
    chart(figure, key=CLICK, container=left, on_select=_apply_click, selection_mode="points", config=STILL)
    return (row, col), right


def show_field(
    image: Image.Image, view: View, model: DeepLab, result: PixelField, seconds: float, container: Any
) -> None:
    lang = language()
    label = class_name(model.spec.categories[result.label], lang)
    half = square_side(result.field, result.pixel, HALF)
    chart(field_figure(image, result, half, label, lang), key="pf_field", container=container, config=STILL)
    section(LESSON, "field")
    side = logit_field(model.net).size
    scale = image.height / result.network_size[0]  # photo pixels per network-input pixel
    cols = st.columns(3)
    cols[0].metric(t("pixel_field.inside"), f"{result.inside:.1%}")
    cols[1].metric(t("pixel_field.theoretical"), t("pixel_field.px", n=f"{side:,}"))
    cols[2].metric(t("pixel_field.half_side"), t("pixel_field.px", n=half))
    st.caption(t("pixel_field.sizes", side=f"{side:,}", photo=f"{side * scale:,.0f}", h=result.network_size[0]))
    if (result.box.height, result.box.width) == result.field.shape:
        st.info(t("pixel_field.box_covers"), icon=":material/crop_free:")
    st.caption(t("pixel_field.run_caption", name=label, seconds=f"{seconds:.1f}", gh=result.grid[0], gw=result.grid[1]))
    if not view.pooling and result.outside > 0 and global_pooling(model.net):
        st.info(t("pixel_field.gates", share=f"{result.outside:.2%}"), icon=":material/blur_on:")
    section(LESSON, "branches")
    chart(shares_figure(result, lang), key="pf_shares", config=STILL)


def on_photo(view: View, chosen: ModelChoice) -> None:
    picked = pick_photo("pf", LESSON)
    if picked is None:
        return
    image, photo_key = picked
    base = (chosen, photo_key, view.short_side, view.output_stride, view.multi_grid)

    def work(passes: int) -> list[Work]:  # refuses a photo beyond 1:16 before anything runs
        h, w = plan_input(image.width, image.height, view.short_side).size
        return [Work(view.name, view.output_stride, h, w, passes)]

    def model() -> DeepLab:
        return field_model(chosen.name, chosen.weights, chosen.device, view.output_stride, view.multi_grid)

    seg = run_job(
        "pf_segment",
        base,
        lambda: segment(model(), image, short_side=view.short_side),
        work=lambda: work(1),
        device=chosen.device,
        spinner=t("pixel_field.segmenting"),
    )
    if seg is None:
        return
    budget_note(seg.plan)
    pixel, right = choose_pixel(image, seg)

    def job() -> tuple[PixelField, float]:
        start = time.perf_counter()
        mute = () if view.pooling else (pooling_branch(model()),)
        result = pixel_field(model(), image, pixel, short_side=view.short_side, mute=mute)
        return result, time.perf_counter() - start

    done = run_job(
        "pf_result",
        (base, pixel, view.pooling),
        job,
        work=lambda: work(PASSES),
        device=chosen.device,
        spinner=t("pixel_field.running"),
    )
    if done is not None:
        show_field(image, view, model(), *done, right)


def theory(view: View) -> None:
    """The chosen network's theoretical field, read from its modules (on the meta device: no weights needed)."""
    net = wiring(view.name, view.output_stride or DEEPLAB_OUTPUT_STRIDES[0], view.multi_grid)
    field, rate = logit_field(net), max(aspp_rates(net))
    values = {"side": f"{field.size:,}", "stride": field.jump, "rate": rate, "short": view.short_side}
    section(LESSON, "theory", **values, aspp=f"{2 * rate * field.jump:,}")


header(LESSON)
view = controls(st.session_state.get("device", default_device()))
theory(view)
chosen = network(view.name, "pf", LESSON)
if chosen is None:
    st.info(t("pixel_field.needs_weights"), icon=":material/arrow_upward:")
else:
    if not chosen.trained:
        st.warning(t("pixel_field.untrained"))
    on_photo(view, chosen)
quiz(LESSON)
what_to_notice(LESSON, grid=", ".join(map(str, MULTI_GRID)))
show_source(pixel_field, photo_box)
