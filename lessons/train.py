"""Lesson 9: train it yourself. Tiny DeepLab variants trained on synthetic scenes, shipped results first."""

import pandas as pd
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from deeplab_core.errors import LabError
from deeplab_core.figures.train import (
    coverage_figure,
    curves_figure,
    iou_figure,
    legend_markdown,
    predictions_figure,
    scenes_figure,
    variant_name,
)
from deeplab_core.nets.lab.prose import shipped_values, task_values, variants_values
from deeplab_core.nets.lab.results import ResultsFile, answers, load, per_class, summarise
from deeplab_core.nets.lab.scenes import SCENES
from deeplab_core.nets.lab.training import SHOWN_SCENES, RunResult, TrainConfig, train, unpack, validation_set
from deeplab_core.nets.lab.variants import VARIANTS, backbone_coverage, describe, geometry
from deeplab_core.serving.lab_jobs import PER_SESSION, UNFINISHED, JobView, registry
from deeplab_core.serving.queue import SERVER_QUEUE
from deeplab_core.serving.watching import view_interval
from lessons.parts.quiz import quiz
from lessons.parts.ui import chart, header, language, section, show_error, show_source, t, what_to_notice
from lessons.parts.widgets import int_slider, multiselect

LESSON = "train"
STEPS_MAX = 400  # one request's bound: a student cannot hold the classroom server for long
KEYS = list(VARIANTS)
SEED_MAX = 20


@st.cache_data(show_spinner=False)
def _shown_scenes():
    return validation_set(TrainConfig(validation_scenes=SHOWN_SCENES), SCENES)


@st.cache_data(show_spinner=False)
def _variant_tables(lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What each variant changes, and what was measured on its module: two tables of text cells, narrow enough
    for a phone, so st.table wraps the long "what changes" instead of cutting it and every column is in sight."""
    changes, measured = [], []
    for key in KEYS:
        info = describe(key)
        g = info.geometry
        rf = t("train.rf_global", rf=g.receptive_field) if g.global_context else f"{g.receptive_field}"
        name = {t("train.col.variant"): variant_name(key, lang)}
        changes.append({**name, t("train.col.what"): t(f"train.variant_long.{key}")})
        measured.append({**name, t("train.col.os"): str(g.output_stride), t("train.col.rf"): rf,
                         t("train.col.holes"): str(g.holes),
                         t("train.col.parameters"): f"{info.parameters:,}"})  # fmt: skip
    return pd.DataFrame(changes), pd.DataFrame(measured)


@st.cache_data(show_spinner=False)
def _values(name: str) -> dict[str, str]:
    return {"task": task_values, "variants": variants_values, "shipped": shipped_values}[name]()


@st.cache_resource(show_spinner=False)
def _shipped() -> ResultsFile:
    return load()


def predictions_of(runs: list[RunResult]) -> dict[str, list]:
    return {r.variant: [unpack(p) for p in r.predictions] for r in runs}


def verdict_lines(runs: list[RunResult]) -> list[str]:
    """The page's conclusions, computed from the results: who beats whom by more than the seed spread. A margin
    is a distance (the sentence says which way) except with one seed, where its sign is all there is."""
    lines = []
    for score, v in answers(runs):
        name = "mIoU" if score == "miou" else t(f"train.class.{score}")
        margin = 100 * v.margin if v.outcome == "one_seed" else abs(100 * v.margin)
        lines.append(t(f"train.verdict.{v.outcome}", x=variant_name(v.better, language()),
                       y=variant_name(v.worse, language()), score=name, margin=margin,
                       noise=100 * v.noise if v.noise == v.noise else 0.0))  # fmt: skip
    return lines


def results_view(runs: list[RunResult], key: str) -> None:
    """Summary table, verdicts, per-class IoU, and predictions on the shown validation scenes."""
    lang = language()
    variants = list(dict.fromkeys(r.variant for r in runs))
    rows = []
    for v in variants:
        s = summarise(runs, v)
        spread = "–" if s.spread != s.spread else f"{100 * s.spread:.1f}"
        rows.append({t("train.col.variant"): variant_name(v, lang), "mIoU (%)": f"{100 * s.mean:.1f}",
                     t("train.col.spread"): spread, t("train.col.seeds"): len(s.seeds),
                     t("train.col.seconds"): f"{s.seconds:.1f}"})  # fmt: skip
    st.table(pd.DataFrame(rows).astype(str), hide_index=True)  # a table that wraps: every column in sight
    for line in verdict_lines(runs):
        st.markdown(f"- {line}")
    classes = {v: per_class(runs, v) for v in variants}  # mean and spread of every class's IoU
    means, spreads = {v: m for v, (m, _) in classes.items()}, {v: s for v, (_, s) in classes.items()}
    chart(iou_figure(means, spreads, lang), f"{key}_iou")
    seed = min(r.seed for r in runs)
    shown = [r for r in runs if r.seed == seed]
    images, labels = _shown_scenes()
    st.caption(t("train.predictions_caption", seed=seed))
    st.markdown(legend_markdown(lang), unsafe_allow_html=True)
    chart(predictions_figure(images, labels, predictions_of(shown), lang), f"{key}_pred")


def shipped_results() -> None:
    section(LESSON, "shipped", **_values("shipped"))
    try:
        shipped = _shipped()
    except (OSError, ValueError, KeyError):
        st.warning(t("train.no_shipped"))
        return
    m = shipped.machine
    st.caption(t("train.shipped_caption", command=shipped.command, cpu=m["cpu"], device=m["device_name"],
                 threads=m["threads"], created=shipped.created))  # fmt: skip
    results_view(list(shipped.runs), "train_shipped")


def gridding() -> None:
    section(LESSON, "gridding")
    coverages = {k: backbone_coverage(k) for k in ("e-grid", "e-hdc")}
    chart(coverage_figure(coverages, language()), "train_coverage")
    holes = {k: int((c == 0).sum()) for k, c in coverages.items()}
    st.caption(t("train.coverage_caption", grid=holes["e-grid"], hdc=holes["e-hdc"]))


def controls() -> tuple[list[str], int, int, bool]:
    lang = language()
    chosen = multiselect("train_variants", "train.variants", KEYS, default=("a", "b"),
                         label=lambda k: variant_name(k, lang))  # fmt: skip  # a row of its own: every name in sight
    cols = st.columns([1, 2])
    seed = int_slider("train_seed", "train.seed", 0, SEED_MAX, 0, container=cols[0])
    steps = int_slider("train_steps", "train.steps", 2, STEPS_MAX, 300, help_key="train.steps_help", container=cols[1])
    go = st.button(t("train.go"), key="train_go", type="primary", disabled=not chosen)
    return chosen, seed, steps, go


def _progress_line(view: JobView) -> str:
    name = variant_name(view.key[0], language())
    if view.state == "queued":
        return t("train.state.queued", name=name, ahead=view.queue_position)
    if view.state == "failed":
        return t("train.state.failed", name=name, error=view.error)
    state = "cached" if view.cached and view.state == "done" else view.state
    return t(f"train.state.{state}", name=name, step=view.step, steps=view.key[2])


def session_id() -> str:
    """This browser tab's Streamlit session: who asked for a run."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def connected(session: str) -> bool:
    """Whether a session is still open (the registry's watchdog asks, from its own thread). Without a Streamlit
    server (AppTest between its runs) nobody can tell: every session counts as connected."""
    try:
        return bool(runtime.get_instance().is_active_session(session))
    except RuntimeError:  # no Runtime in this process
        return True


@st.cache_resource(max_entries=64, show_spinner=False)
def _live_curves(stamp: tuple, lang: str, _views: tuple[JobView, ...]):
    """The live loss and mIoU curves for one set of job versions, built once for every session watching them."""
    histories = {v.key[0]: {"step": range(1, len(v.losses) + 1), "loss": v.losses, "eval_step": v.eval_steps,
                            "miou": v.mious} for v in _views}  # fmt: skip
    return curves_figure(histories, lang)


def watch(keys: list) -> None:
    """The live view, refreshed by a fragment every `view_interval` seconds for the number watching now (3 s for a
    few, longer for a class: their refreshes together stay bounded, serving.watching)."""
    interval = view_interval(registry().watchers())
    st.session_state["train_view_s"] = interval
    st.fragment(run_every=interval)(_watch)(keys)


def _watch(keys: list) -> None:
    """Polls the shared registry while any requested run is unfinished. The views are the registry's published ones
    and the figure is cached per (job, version): a watcher costs no recomputation."""
    views = registry().snapshot(keys)
    for view in views:
        st.progress(view.step / view.key[2], text=_progress_line(view))
    drawn = tuple(v for v in views if v.losses)
    if drawn:
        stamp = tuple((v.key, v.version) for v in drawn)
        chart(_live_curves(stamp, language(), drawn), "train_live_curves")
    if all(v.state not in UNFINISHED for v in views):
        st.rerun()  # the whole page, once: the finished view below replaces this polling one
    elif view_interval(registry().watchers()) > 1.5 * st.session_state.get("train_view_s", 0):
        st.rerun()  # the class grew: the whole page, once, registers this view at the longer interval


def _cancel(keys: list) -> None:
    registry().cancel(keys, session_id())


def live() -> None:
    section(LESSON, "live")
    chosen, seed, steps, go = controls()
    keys = [(v, seed, steps) for v in chosen]
    jobs = registry(tuple(_shipped().runs) if _has_shipped() else (), SERVER_QUEUE, connected)
    st.caption(t("train.queue.rules", limit=PER_SESSION))
    if go:
        try:
            jobs.submit(keys, session_id())
            st.session_state.train_request = keys
        except LabError as error:
            show_error(error)
    requested = [tuple(k) for k in st.session_state.get("train_request", [])]
    if not requested:
        return
    views = jobs.snapshot(requested)
    if any(v.state in UNFINISHED for v in views):
        st.button(t("train.queue.cancel"), key="train_cancel", help=t("train.queue.cancel_help"),
                  on_click=_cancel, args=(requested,), icon=":material/cancel:")  # fmt: skip
        watch(requested)
        return
    for view in views:
        st.caption(_progress_line(view))
    done = [v.result for v in views if v.result is not None]
    if done:
        histories = {r.variant: r.history for r in done}
        chart(curves_figure(histories, language()), "train_final_curves")
        results_view(done, "train_live")


def _has_shipped() -> bool:
    try:
        _shipped()
        return True
    except (OSError, ValueError, KeyError):
        return False


header(LESSON)
section(LESSON, "task", **_values("task"))
scene_images, scene_labels = _shown_scenes()
chart(scenes_figure(scene_images, scene_labels, language()), "train_scenes")
st.markdown(legend_markdown(language()), unsafe_allow_html=True)
section(LESSON, "variants", **_values("variants"))
for table in _variant_tables(language()):
    st.table(table, hide_index=True)
shipped_results()
gridding()
live()
quiz(LESSON)
what_to_notice(LESSON)
show_source(train, geometry, summarise)
