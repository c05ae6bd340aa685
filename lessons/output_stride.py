"""Lesson 4: output stride and multi-grid, measured inside the real DeepLabv3 backbones."""

import streamlit as st

from deeplab_core.config import (
    CROP_SIZE,
    DEEPLAB_OUTPUT_STRIDES,
    MULTI_GRID,
    OUTPUT_STRIDES,
    RESNETS,
    TRAIN_OUTPUT_STRIDE,
    UNIT_RATES,
)
from deeplab_core.figures.output_stride import cost_figure, label_maps_figure, rf_growth_figure, stage_size_figure
from deeplab_core.nets.cost import Cost, Latency, count_cost, measure_latency
from deeplab_core.nets.inspection import (
    STAGES,
    class_shares,
    dilation_table,
    labels_on_grid,
    predicted_stage_sizes,
    square_photo,
    stage_shapes,
    stage_strides,
)
from deeplab_core.nets.model import architecture
from deeplab_core.nets.network_rf import multi_grid_check, network_field
from deeplab_core.nets.wiring import stage_rates
from deeplab_core.nets.workload import Work
from lessons.parts.models import get_model
from lessons.parts.photo_input import ModelChoice, network, pick_photo
from lessons.parts.quiz import quiz
from lessons.parts.runner import run_job
from lessons.parts.ui import chart, header, language, section, show_source, t, what_to_notice
from lessons.parts.widgets import choice, multiselect, selectbox

LESSON = "output_stride"
INPUT = CROP_SIZE  # 17, 33 and 65 cells at output stride 32, 16 and 8
STRIDES = OUTPUT_STRIDES
LATENCY_SIZES = (129, 257, 513)
REPEATS = 3  # timed runs per output stride, after one warm-up


@st.cache_data(max_entries=8, show_spinner=False)
def _stages(name: str, input_size: int) -> dict:
    out = {}
    for os_ in STRIDES:
        model = architecture(name, os_)
        out[os_] = (stage_shapes(model, input_size), predicted_stage_sizes(model, input_size), stage_strides(model))
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def _costs(input_size: int) -> dict[str, list[Cost]]:
    return {name: [count_cost(architecture(name, os_), input_size) for os_ in STRIDES] for name in RESNETS}


def _model_at(chosen: ModelChoice, output_stride: int):
    # torchvision's own wiring is output stride 8: that cached model is the one the other lessons share
    extra = () if output_stride == 8 else (output_stride,)
    return get_model(chosen.name, chosen.weights, chosen.device, *extra)


def stages(name: str) -> None:
    section(LESSON, "stages")
    data = _stages(name, INPUT)
    chart(stage_size_figure({os_: data[os_][0] for os_ in STRIDES}, INPUT, language()), key="os_stage_figure")
    rows = []
    for index, stage in enumerate(STAGES):
        row = {t("output_stride.col.stage"): stage, t("output_stride.col.channels"): data[32][0][index].channels}
        for os_ in STRIDES:
            shape, predicted, stride = data[os_][0][index], data[os_][1][index], data[os_][2][index]
            row[t("output_stride.col.size_at", os=os_)] = f"{shape.height}×{shape.width} (/{stride})"
            row[t("output_stride.col.formula_at", os=os_)] = predicted
        rows.append(row)
    st.table([{k: str(v) for k, v in row.items()} for row in rows], hide_index=True)  # projector-sized text
    st.caption(t("output_stride.stages_caption", size=INPUT))


def photo(chosen: ModelChoice | None) -> None:
    section(LESSON, "photo")
    if chosen is None:  # no weights yet: say what is missing and where the choice is, not a silent gap
        st.info(t("output_stride.photo_needs_weights"), icon=":material/arrow_upward:")
        return
    picked = pick_photo("os", LESSON)
    if picked is None:
        return
    image, photo_key = picked
    strides = multiselect(
        "strides",
        "output_stride.strides",
        STRIDES,
        default=list(DEEPLAB_OUTPUT_STRIDES),
        label=lambda s: t("output_stride.fig.os", os=s),
    )
    request = (chosen, photo_key, tuple(sorted(strides, reverse=True)))
    pressed = st.button(t("output_stride.run_photo", n=len(strides)), key="os_photo_run", disabled=not strides)

    def job() -> tuple:
        square = square_photo(image, INPUT)  # always INPUT × INPUT: within the pixel budget whatever the photo
        return square, [labels_on_grid(_model_at(chosen, os_), square) for os_ in request[2]]

    work = [Work(chosen.name, os_, INPUT, INPUT) for os_ in request[2]]
    done = run_job(
        "os_photo_result", request, job, work=work, device=chosen.device, spinner=t("output_stride.running"),
        when=pressed, force=pressed,
    )  # fmt: skip
    if done is None:
        st.caption(t("output_stride.photo_hint"))
        return
    square, maps = done
    chart(
        label_maps_figure(square, [(m.output_stride, m.grid, m.labels) for m in maps], language()), key="os_label_maps"
    )
    categories = get_model(chosen.name, chosen.weights, chosen.device).spec.categories
    for m in maps:
        present = ", ".join(f"{name.strip('_')} {share:.0%}" for name, share in class_shares(m.labels, categories)[:4])
        st.caption(t("output_stride.classes", os=m.output_stride, classes=present))
    if len(maps) >= 2:
        differ = int((maps[0].labels != maps[-1].labels).sum())
        st.metric(
            t("output_stride.differ", a=maps[0].output_stride, b=maps[-1].output_stride),
            f"{differ:,} ({differ / maps[0].labels.size:.1%})",
        )
    if not chosen.trained:
        st.warning(t("output_stride.untrained_maps"))


def costs(name: str, chosen: ModelChoice | None) -> None:
    section(LESSON, "cost")
    with st.spinner(t("output_stride.counting")):
        table = _costs(INPUT)
    chart(cost_figure(table, language()), key="os_cost_figure")
    rows = [
        {
            t("output_stride.col.backbone"): backbone,
            t("output_stride.col.os"): c.output_stride,
            t("output_stride.col.feature"): f"{c.feature_size}×{c.feature_size}",
            t("output_stride.col.gmacs_backbone"): round(c.backbone_macs / 1e9, 1),
            t("output_stride.col.gmacs_head"): round(c.head_macs / 1e9, 1),
            t("output_stride.col.memory"): round(c.activation_bytes / 2**20),
        }
        for backbone, rows_ in table.items()
        for c in rows_
    ]
    st.table([{k: str(v) for k, v in row.items()} for row in rows], hide_index=True)  # projector-sized text
    st.caption(t("output_stride.cost_caption", size=INPUT, convs=table[name][0].conv_outputs))
    latency(chosen)


@st.fragment
def latency(chosen: ModelChoice | None) -> None:
    st.subheader(t("output_stride.latency_heading"))
    if chosen is None:
        st.caption(t("output_stride.latency_needs_model"))
        return
    size = choice(
        "latency", "output_stride.latency_size", LATENCY_SIZES, default=1, help_key="output_stride.latency_size_help"
    )
    key = (chosen, size)
    pressed = st.button(
        t("output_stride.latency_run", name=chosen.name, size=size, device=chosen.device), key="os_latency_run"
    )

    def job() -> dict[int, Latency]:
        return {os_: measure_latency(_model_at(chosen, os_), size, repeats=REPEATS, warmup=1) for os_ in STRIDES}

    work = [Work(chosen.name, os_, size, size, passes=1 + REPEATS) for os_ in STRIDES]  # a warm-up + repeats
    # on a CPU, ResNet-101 at 513 is refused: it would hold the shared queue for half a minute
    latencies = run_job(
        "os_latency", key, job, work=work, device=chosen.device, spinner=t("output_stride.running"),
        when=pressed, force=pressed,
    )  # fmt: skip
    if latencies is None:
        return
    cols = st.columns(len(STRIDES))
    for col, (os_, result) in zip(cols, latencies.items(), strict=True):
        col.metric(
            t("output_stride.fig.os", os=os_),
            f"{result.median_s * 1e3:,.0f} ms",
            help=t("output_stride.latency_runs", runs=", ".join(f"{r * 1e3:.0f}" for r in result.runs_s)),
        )
    st.caption(t("output_stride.latency_caption", size=size, device=chosen.device))


@st.fragment
def multi_grid(name: str) -> None:
    section(LESSON, "multigrid")
    cols = st.columns([2, 1, 1, 1])
    os_ = choice(
        "mg_os",
        "output_stride.mg_stride",
        sorted(STRIDES, key=lambda s: s != TRAIN_OUTPUT_STRIDE),
        container=cols[0],
        format_key="output_stride.os_name",
    )
    units = tuple(
        int(
            selectbox(
                f"r{i + 1}",
                "output_stride.unit_rate",
                UNIT_RATES,
                default=UNIT_RATES.index(MULTI_GRID[i]),  # DeepLabv3's (1, 2, 4)
                label_values={"i": i + 1},
                container=cols[i + 1],
            )
        )
        for i in range(3)
    )
    model = architecture(name, os_, units)
    check = multi_grid_check(model, os_, units)
    st.dataframe(
        [
            {
                t("output_stride.col.stage"): r.stage,
                t("output_stride.col.block"): r.block,
                t("output_stride.col.stride"): r.stride,
                t("output_stride.col.rate"): r.dilation,
                t("output_stride.col.padding"): r.padding,
            }
            for r in check.table
        ],
        hide_index=True,
        height=250,
    )
    verdict = t("output_stride.mg_agree") if check.agrees else t("output_stride.mg_disagree")
    layer4, rule = ", ".join(map(str, check.rates("layer4"))), ", ".join(map(str, check.rule[1]))
    st.caption(t("output_stride.mg_caption", layer4=layer4, rule=rule, verdict=verdict))
    fields = {
        t("output_stride.rf_with", units=", ".join(map(str, units))): network_field(model),
        t("output_stride.rf_without"): network_field(architecture(name, os_)),
    }
    curves = {label: list(field.curve) for label, field in fields.items()}
    chart(rf_growth_figure(curves, INPUT, language()), key="os_rf_figure")
    for col, (label, field) in zip(st.columns(2), fields.items(), strict=True):
        size, jump = field.final.size, field.final.jump
        col.metric(label, t("output_stride.rf_value", size=size), help=t("output_stride.rf_help", jump=jump))
        col.caption(t("output_stride.rf_aspp", sizes=", ".join(map(str, field.with_aspp))))
    section(LESSON, "wrinkle")


header(LESSON)
backbone = choice("backbone", "output_stride.backbone", list(RESNETS))
model_choice = network(backbone, "os", LESSON)
stages(backbone)
photo(model_choice)
costs(backbone, model_choice)
multi_grid(backbone)
section(LESSON, "torchvision")
section(LESSON, "paper")
quiz(LESSON)
what_to_notice(LESSON)
show_source(stage_shapes, dilation_table, count_cost, stage_rates)
