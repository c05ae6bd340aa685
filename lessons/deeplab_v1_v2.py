"""Lesson 8: DeepLab v1 and v2 — the hole algorithm on VGG-16, LargeFOV, v2's ASPP, the fully connected CRF."""

import streamlit as st

from deeplab_core.budget import fit_photo
from deeplab_core.config import MODEL_NAMES
from deeplab_core.errors import LabError
from deeplab_core.facts import fact, source
from deeplab_core.figures.aspp import aspp_diagram
from deeplab_core.figures.deeplab_v1_v2 import ZOOM, crf_panels, energy_caption, energy_figure, v2_aspp_diagram
from deeplab_core.figures.segment import class_name
from deeplab_core.maths.crf import CrfSettings, crf_trace, dense_crf_steps
from deeplab_core.maths.crf_scene import SCENE_STRIDE, constructed_scene, mean_iou
from deeplab_core.nets import v1_inspect
from deeplab_core.nets.aspp_probe import describe_aspp
from deeplab_core.nets.crf_input import photo_crf
from deeplab_core.nets.deeplab_v1 import OUTPUT_STRIDE, V1_VARIANTS, VARIANTS, build_v1, vgg16_cache_path
from deeplab_core.nets.deeplab_v2 import ASPP_RATES, ASPPv2, build_v2, describe_aspp_v2, score_shape
from deeplab_core.nets.model import architecture
from deeplab_core.nets.workload import CountedWork, CrfWork, Work
from deeplab_core.prose_values import v1_speedup, v1_two_fields, version_settings
from lessons.parts.models import get_model
from lessons.parts.photo_input import budget_note, network, pick_photo
from lessons.parts.quiz import quiz
from lessons.parts.runner import run_job
from lessons.parts.ui import chart, header, language, section, show_error, show_source, t, what_to_notice
from lessons.parts.widgets import choice, int_slider

LESSON = "deeplab_v1_v2"
SIZES = (513, 321)  # DeepLab's evaluation and training crops
TIMING_SIZES = (161, 241, 321)
CRF_SHORT_SIDE = 320  # the photo the CRF sees: short side 320 within the pixel budget
VERSIONS = ("v1", "v2", "v3")
TEST_MIOU = {"v1": "deeplabv1.test_miou", "v2": "deeplabv2.test_miou", "v3": "deeplabv3.table7.test_miou"}
SCENE_NAMES = ("background", "ellipse", "triangle", "bar")
KERNEL_SLIDERS = (  # name, range, the registered starting value (pydensecrf's README example), column
    ("w1", 0, 20, "pydensecrf.readme.compat_bilateral", 0),
    ("theta_alpha", 10, 160, "pydensecrf.readme.sxy_bilateral", 1),
    ("theta_beta", 3, 40, "pydensecrf.readme.srgb_bilateral", 1),
    ("w2", 0, 10, "pydensecrf.readme.compat_gaussian", 2),
    ("theta_gamma", 1, 10, "pydensecrf.readme.sxy_gaussian", 2),
)


def _name(key: object) -> str:
    return VARIANTS[str(key)].name


@st.cache_data(max_entries=4, show_spinner=False)
def _rows(size: int):
    return v1_inspect.variant_rows(V1_VARIANTS, size)


@st.cache_data(max_entries=8, show_spinner=False)
def _stages(key: str, size: int):
    net = build_v1(key, device="meta").net
    return v1_inspect.stage_sizes(net, size), v1_inspect.predicted_sizes(net, size)


def _paper(key: str, column: str) -> str:
    return fact(f"deeplabv1.table2.{key}.{column}").formatted()


def variants_table() -> None:
    section(LESSON, "hole", **v1_speedup())
    size = choice("dl_size", "deeplab_v1_v2.size", list(SIZES))
    rows = _rows(size)
    st.dataframe(
        [
            {
                t("deeplab_v1_v2.col.variant"): row.variant.name,
                t("deeplab_v1_v2.col.fc6"): t(
                    "deeplab_v1_v2.fc6", k=row.variant.kernel_size, rate=row.variant.rate, c=row.variant.channels
                ),
                t("deeplab_v1_v2.col.params"): f"{row.parameters / 1e6:.1f} / {_paper(row.variant.key, 'params')}",
                t("deeplab_v1_v2.col.gmacs", size=size): f"{row.macs / 1e9:.0f}",
                t("deeplab_v1_v2.col.miou"): _paper(row.variant.key, "miou"),
                t("deeplab_v1_v2.col.speed"): _paper(row.variant.key, "speed"),
            }
            for row in rows
        ],
        hide_index=True,
    )
    paper = source("deeplabv1.table2.largefov.rf").split(", Table")[0]
    st.caption(t("deeplab_v1_v2.table_caption", source=paper, side=rows[0].score_map))
    section(LESSON, "two_fields", **v1_two_fields(rows))
    st.table(  # both conventions side by side; a wrapping table, projector-sized (a data grid hid a column)
        [
            {
                t("deeplab_v1_v2.col.variant"): row.variant.name,
                t("deeplab_v1_v2.col.paper_rf"): _paper(row.variant.key, "rf"),
                t("deeplab_v1_v2.col.fov"): str(row.paper_fov),
                t("deeplab_v1_v2.col.vgg_rf"): str(row.vgg_rf),
                t("deeplab_v1_v2.col.theory_rf"): str(row.theoretical_rf),
            }
            for row in rows
        ],
        hide_index=True,
    )
    st.caption(t("deeplab_v1_v2.fields_caption"))
    section(LESSON, "stages")
    pick = choice("dl_stage_variant", "deeplab_v1_v2.stage_variant", list(VARIANTS), label=_name)
    seen, predicted = _stages(pick, size)
    st.dataframe(
        [
            {
                t("deeplab_v1_v2.col.stage"): s.name,
                t("deeplab_v1_v2.col.hooks"): f"{s.channels} × {s.height} × {s.width}",
                t("deeplab_v1_v2.col.formula"): predicted[s.name],
            }
            for s in seen
        ],
        hide_index=True,
    )


@st.cache_data(max_entries=8, show_spinner=False)
def _macs(key: str, size: int) -> int:
    return v1_inspect.macs(build_v1(key, device="meta").net, size)


@st.cache_resource(max_entries=1, show_spinner=False)
def _timed_model(key: str, device: str):
    return build_v1(key, device=device)


def timing() -> None:
    section(LESSON, "timing")
    cols = st.columns(2)
    names = list(VARIANTS)
    key = choice("dl_time_variant", "deeplab_v1_v2.stage_variant", names, label=_name, default=3, container=cols[0])
    size = choice("dl_time_size", "deeplab_v1_v2.time_size", list(TIMING_SIZES), container=cols[1])
    device = st.session_state.get("device", "cpu")
    pressed = st.button(t("deeplab_v1_v2.time_button"), key="dl_time")

    def job() -> tuple[str, float]:
        model = _timed_model(key, device)
        return model.backbone, v1_inspect.forward_seconds(model.net, size)

    def work() -> list[CountedWork]:  # counted only when the button asks
        return [CountedWork(_macs(key, size))]

    spinner = t("deeplab_v1_v2.timing")
    timed = run_job("dl_timed", (key, size, device), job, work=work, device=device, spinner=spinner, when=pressed)
    if timed is None:
        return
    backbone_kind, seconds = timed
    gmacs = _macs(key, size) / 1e9
    st.metric(t("deeplab_v1_v2.forward_time", name=VARIANTS[key].name, size=size), f"{seconds * 1e3:.0f} ms")
    backbone = t(f"deeplab_v1_v2.backbone.{backbone_kind}", file=vgg16_cache_path().name)
    st.caption(t("deeplab_v1_v2.time_caption", gmacs=f"{gmacs:.0f}", device=device, backbone=backbone))


def aspp_section() -> None:
    section(LESSON, "aspp_v2")
    name = choice("dl_aspp", "deeplab_v1_v2.aspp", list(ASPP_RATES))
    v2 = build_v2(name)
    st.markdown(f"**{t('deeplab_v1_v2.v2_heading', name=name)}**")
    chart(v2_aspp_diagram(describe_aspp_v2(v2.aspp), 512, OUTPUT_STRIDE, language()), "dl_v2_diagram")
    classes, h, w = score_shape(v2, 513)
    params = f"{v1_inspect.parameters(v2.aspp) / 1e6:.1f}"
    st.caption(t("deeplab_v1_v2.aspp_caption", params=params, c=classes, h=h, w=w))
    st.markdown(f"**{t('deeplab_v1_v2.v3_heading')}**")
    branches, projection = describe_aspp(architecture("resnet101").classifier[0])
    chart(aspp_diagram(branches, projection, None, language()), "dl_v3_diagram")


def versions_table() -> None:
    section(LESSON, "versions")
    rows = ["backbone", "output_stride", "atrous", "multi_scale", "bn", "pooling", "crf"]
    cells = version_settings()  # the settings as the code builds them, never typed in the strings
    header = "| | " + " | ".join(t(f"deeplab_v1_v2.version.{v}") for v in VERSIONS) + " |"
    lines = [header, "|---" * (len(VERSIONS) + 1) + "|"]
    lines += [
        f"| {t(f'deeplab_v1_v2.row.{r}')} | "
        + " | ".join(t(f"deeplab_v1_v2.cell.{v}.{r}", **cells) for v in VERSIONS)
        + " |"
        for r in rows
    ]
    lines.append(
        f"| {t('deeplab_v1_v2.row.miou')} | " + " | ".join(fact(TEST_MIOU[v]).formatted() for v in VERSIONS) + " |"
    )
    st.markdown("\n".join(lines))
    keys = [*(TEST_MIOU[v] for v in VERSIONS), "deeplabv3.table7.jft_test_miou", "deeplabv3.test.train_output_stride"]
    st.caption(t("deeplab_v1_v2.sources") + " " + " · ".join(source(key) for key in keys))


def crf_settings() -> CrfSettings:
    section(LESSON, "crf")
    cols = st.columns(3)
    iterations = int_slider("dl_iter", "deeplab_v1_v2.iterations", 1, 10, 5, container=cols[0])
    value = {
        name: int_slider(f"dl_{name}", f"deeplab_v1_v2.{name}", low, high, int(fact(key).value), container=cols[col])
        for name, low, high, key, col in KERNEL_SLIDERS
    }
    w1, alpha, beta, w2, gamma = (value[name] for name in ("w1", "theta_alpha", "theta_beta", "w2", "theta_gamma"))
    st.latex(
        rf"E(\mathbf x)=\sum_i -\log P(x_i)+\sum_{{i<j}}[x_i\neq x_j]\Big({w1}\,"
        rf"e^{{-\frac{{\|p_i-p_j\|^2}}{{2\cdot {alpha}^2}}-\frac{{\|I_i-I_j\|^2}}{{2\cdot {beta}^2}}}}"
        rf"+{w2}\,e^{{-\frac{{\|p_i-p_j\|^2}}{{2\cdot {gamma}^2}}}}\Big)"
    )
    st.latex(r"Q_i(l)\;\propto\;\exp\Big(\log P_i(l)+\sum_m w_m\sum_j \tilde k_m(i,j)\,Q_j(l)\Big)")
    st.caption(
        t("deeplab_v1_v2.defaults_caption", source=source("pydensecrf.readme.sxy_bilateral").split(", README")[0])
    )
    return CrfSettings(iterations, gamma, w2, alpha, beta, w1)


@st.cache_data(max_entries=16, show_spinner=False)
def _constructed(settings: CrfSettings):
    scene = constructed_scene()
    return scene, crf_trace(scene.image, scene.probabilities, settings)


def crf_demo(settings: CrfSettings) -> None:
    section(LESSON, "engine")
    kind = choice(
        "dl_crf_source", "deeplab_v1_v2.crf_source", ["constructed", "photo"], format_key="deeplab_v1_v2.source"
    )
    if kind == "constructed":
        section(
            LESSON, "constructed", stride=SCENE_STRIDE, v1_stride=OUTPUT_STRIDE, factor=SCENE_STRIDE // OUTPUT_STRIDE
        )
        # the CRF sets the CPU's thread count while it runs: it takes its turn like a network
        done = run_job("dl_constructed", settings, lambda: _constructed(settings))
        if done is None:
            return
        scene, trace = done
        photo, truth = scene.image, scene.truth
        names = [t(f"deeplab_v1_v2.scene.{n}") for n in SCENE_NAMES]
    else:
        section(LESSON, "photo")
        backbone = choice("dl_backbone", "deeplab_v1_v2.network", list(MODEL_NAMES), default=1)
        chosen = network(backbone, "dl", LESSON)
        picked = pick_photo("dl", LESSON) if chosen else None
        if chosen is None or picked is None:
            return
        image, photo_key = picked
        try:
            small, plan = fit_photo(image, CRF_SHORT_SIDE)
        except LabError as exc:
            show_error(exc)
            return
        model = get_model(chosen.name, chosen.weights, chosen.device)
        done = run_job(
            "dl_photo_crf", (chosen, photo_key, settings), lambda: photo_crf(model, small, settings),
            work=[Work(chosen.name, None, *plan.size),
                  CrfWork(*plan.size, len(model.spec.categories), settings.iterations)],  # the CRF holds the queue too
            device=chosen.device, spinner=t("deeplab_v1_v2.running"),
        )  # fmt: skip
        if done is None:
            return
        budget_note(plan)
        st.caption(t("deeplab_v1_v2.crf_budget", w=plan.size[1], h=plan.size[0]))
        if not chosen.trained:
            st.warning(t("deeplab_v1_v2.untrained_unary"))
        trace, photo, truth = done, small, None
        names = [class_name(c, language()) for c in model.spec.categories]
    # one control: the pictures, the numbers and the energy chart below all show this step
    step = int_slider("dl_step", "deeplab_v1_v2.step", 0, settings.iterations, 1)
    *panels, legend = crf_panels(photo, trace, names, step, language(), truth)
    for index, (column, panel) in enumerate(zip(st.columns(len(panels)), panels, strict=True)):
        chart(panel, f"dl_crf_panel_{index}", container=column, config={"staticPlot": True})
    chart(legend, "dl_crf_legend", config={"staticPlot": True})
    st.caption(t("deeplab_v1_v2.panels_caption", zoom=ZOOM))
    cols = st.columns(3)
    cols[0].metric(t("deeplab_v1_v2.changed_metric", step=step), f"{trace.changed[step]:,}")
    cols[1].metric(t("deeplab_v1_v2.energy_metric", step=step), f"{trace.free_energy[step]:,.0f}")
    cols[2].metric(t("deeplab_v1_v2.crf_time", device=trace.device), f"{trace.seconds * 1e3:.0f} ms")
    if truth is not None:
        classes = len(SCENE_NAMES)
        before, now = mean_iou(trace.labels[0], truth, classes), mean_iou(trace.labels[step], truth, classes)
        st.metric(t("deeplab_v1_v2.iou_metric", step=step), f"{now:.3f}", f"{now - before:+.3f}")
    chart(energy_figure(trace, step, language()), "dl_crf_energy")
    st.caption(energy_caption(trace, language()))


header(LESSON)
variants_table()
timing()
aspp_section()
versions_table()
crf_demo(crf_settings())
quiz(LESSON)
what_to_notice(LESSON)
show_source(v1_inspect.paper_fov, ASPPv2.forward, dense_crf_steps)
