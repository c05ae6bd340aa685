"""Lesson 5: ASPP, drawn from the real module, run as code, and probed branch by branch on a photo."""

import inspect

import streamlit as st

from deeplab_core import prose_values
from deeplab_core.budget import plan_input
from deeplab_core.config import MODEL_NAMES
from deeplab_core.figures.aspp import (
    ablation_figure,
    aspp_diagram,
    branch_maps_figure,
    branch_name,
    channels_figure,
    shares_figure,
)
from deeplab_core.nets import aspp as aspp_core
from deeplab_core.nets.aspp_probe import (
    ablate,
    branch_views,
    describe_aspp,
    network_input,
    probe,
    projection_shares,
    run_both,
)
from deeplab_core.nets.model import architecture
from deeplab_core.nets.workload import Work
from lessons import COURSE
from lessons.parts.models import get_model
from lessons.parts.photo_input import ModelChoice, budget_note, network, pick_photo
from lessons.parts.quiz import quiz
from lessons.parts.runner import run_job
from lessons.parts.ui import chart, header, language, section, show_source, t, what_to_notice
from lessons.parts.widgets import choice, int_slider

LESSON = "aspp"
SHORT_SIDES = (257, 385, 513)
SEED_CHANNELS = 512  # the seed's default in_channel


@st.cache_data(max_entries=16, show_spinner=False)
def _run_both(size: int):
    return run_both(SEED_CHANNELS, size)


def module_diagram(chosen: ModelChoice | None, name: str) -> None:
    section(LESSON, "module", **prose_values.aspp_module())
    net = get_model(chosen.name, chosen.weights, chosen.device).net if chosen else architecture(name)
    branches, projection = describe_aspp(net.classifier[0])
    chart(aspp_diagram(branches, projection, None, language()), key="aspp_diagram")
    st.caption(t("aspp.diagram_caption", name=name))


@st.fragment
def code() -> None:
    section(LESSON, "seed")
    with st.expander(t("aspp.seed_code")):  # folded: long code runs off a narrow screen sideways
        st.code(aspp_core.SEED_SOURCE, language="python")
    section(LESSON, "bn")
    with st.expander(t("aspp.bn_code")):
        st.code(
            "\n\n".join(
                inspect.getsource(obj)
                for obj in (aspp_core.AtrousConv, aspp_core.ImagePooling, aspp_core.ASPP, aspp_core.fuse)
            ),
            language="python",
        )
    size = int_slider("size", "aspp.code_size", 5, 65, 33, help_key="aspp.code_size_help")
    seed, bn = _run_both(size)
    columns = {
        run.name: {
            t("aspp.col.input"): f"(1, {SEED_CHANNELS}, {size}, {size})",
            t("aspp.col.branches"): " · ".join(f"{t(f'aspp.kind.{kind}')} {shape}" for kind, shape in run.concatenated),
            t("aspp.col.output"): str(run.output_shape),
            t("aspp.col.params"): f"{run.parameters:,}",
            t("aspp.col.bn"): str(run.batch_norms),
        }
        for run in (seed, bn)
    }
    properties = list(columns[seed.name])
    rows = [
        {t("aspp.col.module"): p, **{t(f"aspp.module_name.{n}"): values[p] for n, values in columns.items()}}
        for p in properties
    ]
    st.table(rows, hide_index=True)  # one column per module: it wraps its long shape lists, and fits a phone
    st.caption(t("aspp.code_caption"))


def on_photo(chosen: ModelChoice | None) -> None:
    section(LESSON, "photo")
    if chosen is None:  # no weights yet: say where the choice is instead of describing maps that never come
        st.info(t("aspp.photo_needs_weights"), icon=":material/arrow_upward:")
        return
    picked = pick_photo("aspp", LESSON)
    if picked is None:
        return
    image, photo_key = picked
    default = 0 if chosen.device == "cpu" else 2
    short = choice("short", "aspp.short_side", SHORT_SIDES, default=default, help_key="aspp.short_side_help")
    key = (chosen, photo_key, short)

    def work() -> list[Work]:
        return [Work(chosen.name, None, *plan_input(image.width, image.height, short).size)]  # refuses beyond 1:16

    def job() -> tuple:
        model = get_model(chosen.name, chosen.weights, chosen.device)
        x, photo = network_input(image, model.spec, short, model.device)
        return photo, probe(model.net, x)

    done = run_job("aspp_probe", key, job, work=work, device=chosen.device, spinner=t("aspp.running"))
    if done is None:
        return
    budget_note(plan_input(image.width, image.height, short))
    photo, seen = done
    if not chosen.trained:
        st.warning(t("aspp.untrained_photo"))
    st.caption(
        t(
            "aspp.probe_caption",
            h=seen.input_size[0],
            w=seen.input_size[1],
            c=seen.features_shape[0],
            fh=seen.features_shape[1],
            fw=seen.features_shape[2],
        )
    )
    views = branch_views(seen)
    st.subheader(t("aspp.activations_heading"))
    chart(branch_maps_figure(views, language()), key="aspp_branch_maps")
    strongest(views)
    model = get_model(chosen.name, chosen.weights, chosen.device)
    st.subheader(t("aspp.shares_heading"))
    chart(
        shares_figure(views, projection_shares(model.net.classifier[0], seen.branches), language()), key="aspp_shares"
    )
    st.caption(t("aspp.shares_caption"))
    ablation(chosen, key, photo, seen, views)


@st.fragment
def strongest(views) -> None:
    index = choice(
        "branch",
        "aspp.branch_pick",
        range(len(views)),
        label=lambda i: branch_name(views[i].kind, views[i].rate, language()),
    )
    chart(channels_figure(views[index], language()), key="aspp_channels")


@st.fragment
def ablation(chosen: ModelChoice, probe_key: tuple, photo, seen, views) -> None:
    section(LESSON, "ablation")
    mute = choice(
        "mute",
        "aspp.mute",
        [-1, *range(len(views))],
        label=lambda i: t("aspp.mute_none") if i < 0 else branch_name(views[i].kind, views[i].rate, language()),
        default=5,
    )
    model = get_model(chosen.name, chosen.weights, chosen.device)
    muted = () if mute < 0 else (mute,)
    result = run_job("aspp_ablation", (probe_key, muted), lambda: ablate(model.net, seen, muted), device=chosen.device)
    if result is None:
        return
    cols = st.columns(2)
    cols[0].metric(t("aspp.changed_pixels"), f"{result.changed_pixels:,}")
    cols[1].metric(t("aspp.changed_share"), f"{result.changed_fraction:.1%}")
    chart(ablation_figure(photo, seen.labels, result, language()), key="aspp_ablation")
    st.caption(t("aspp.ablation_real") if chosen.trained else t("aspp.ablation_untrained"))


header(LESSON)
backbone = choice("net", "aspp.backbone", list(MODEL_NAMES), default=1)
model_choice = network(backbone, "aspp", LESSON)
module_diagram(model_choice, backbone)
code()
on_photo(model_choice)
large_rates = next(lesson for lesson in COURSE if lesson.slug == "large_rates")
if large_rates.path.exists():
    section(LESSON, "pooling_link", **prose_values.aspp_pooling_link())
    st.page_link(str(large_rates.path), label=t("large_rates.title"), icon=large_rates.icon)
quiz(LESSON)
what_to_notice(LESSON)
show_source(aspp_core.fuse, probe, projection_shares, ablate)
