"""Lesson 7: segment a photo with a real DeepLabv3, on the GPU when there is one."""

import streamlit as st
from PIL import Image

from deeplab_core.budget import plan_input
from deeplab_core.errors import LabError
from deeplab_core.figures.segment import (
    class_shares,
    confidence_figure,
    legend_figure,
    mask_png,
    overlay,
    overlay_figure,
    png_bytes,
)
from deeplab_core.nets.device import default_device, describe_device
from deeplab_core.nets.fast_inference import fuse_batchnorm
from deeplab_core.nets.segmentation import Segmentation, segment, top1
from deeplab_core.nets.workload import Work
from deeplab_core.serving.client import Served, ServiceUnavailable, service_from_env
from deeplab_core.serving.messages import Ask
from lessons.parts.photo_input import budget_note, pick_photo
from lessons.parts.quiz import quiz
from lessons.parts.runner import run_job
from lessons.parts.segment_widgets import Settings, controls, fast_model
from lessons.parts.ui import chart, header, language, show_source, t, what_to_notice
from lessons.parts.weights_choice import choose_weights

LESSON = "segment"
RESULT = "segment_result"  # session state of run_job: (run key, Ran) of the last run
# A segmentation, and where it ran: the inference service (Served), here after the service failed (its reason), or
# here as configured (None).
Ran = tuple[Segmentation, Served | LabError | None]


def run(image: Image.Image, photo_key: str, settings: Settings, weights: str, device: str) -> Ran | None:
    """The segmentation of this photo with these settings; the network runs only when something changed. None, after
    a translated message, when the run is refused (photo shape, CPU job bound) or runs out of memory. With
    ATROUS_LAB_INFERENCE=ray the inference service is asked first; when it fails, the photo runs here."""
    key = (photo_key, settings.name, settings.short_side, settings.output_stride, settings.multi_grid, weights, device)
    again = st.button(t("segment.run_again"), key="segment_again")
    service = service_from_env()
    failed: list[LabError] = []

    def work() -> list[Work]:
        h, w = plan_input(image.width, image.height, settings.short_side).size  # refuses beyond 1:16
        return [Work(settings.name, settings.output_stride, h, w)]

    def job() -> Ran:
        model = fast_model(settings.name, weights, device, settings.output_stride, settings.multi_grid)
        return segment(model, image, short_side=settings.short_side), (failed[0] if failed else None)

    def remote() -> Ran | None:
        assert service is not None
        ask = Ask(settings.name, settings.short_side, settings.output_stride, settings.multi_grid, weights != "random")
        try:
            served = service.segment(image, ask)
        except ServiceUnavailable as exc:
            failed.append(exc)
            return None
        return served.segmentation, served

    spinner = t("segment.running", device=describe_device(device).name if service is None else service.name)
    offload = remote if service is not None else None
    return run_job(RESULT, key, job, work=work, device=device, spinner=spinner, force=again, offload=offload)


def timing_panel(seg: Segmentation, device: str, where: Served | LabError | None) -> None:
    st.subheader(t("segment.timings"))
    times = seg.timings
    cols = [*st.columns(2), *st.columns(2)]  # two rows: four metrics do not fit half a page side by side
    for col, label, ms in zip(
        cols,
        ("preprocess", "inference", "postprocess", "total"),
        (times.preprocess_ms, times.inference_ms, times.postprocess_ms, times.total_ms),
        strict=True,
    ):
        col.metric(t(f"segment.{label}"), f"{ms:.0f} ms")
    if isinstance(where, Served):
        batch = {"batch": where.batch, "group": where.group, "round_trip": f"{where.round_trip_ms:.0f}"}
        st.caption(t("serving.remote.served", service=where.service, device=where.device, **batch))
    else:
        st.caption(t("segment.timing_device", device=describe_device(device).name))


def results(image: Image.Image, ran: Ran, settings: Settings, device: str) -> None:
    lang = language()
    seg, where = ran
    if isinstance(where, LabError):  # the service failed: say why, and that this server ran the photo
        st.warning(t("serving.remote.fallback", reason=t(where.key, **where.values)), icon=":material/dns:")
    st.subheader(t("segment.results"))
    if not seg.trained:
        st.error(t("segment.untrained_banner"), icon=":material/warning:")
    h, w = seg.network_size
    st.caption(t("segment.network_input", width=w, height=h, photo_width=image.width, photo_height=image.height))
    budget_note(seg.plan)
    left, right = st.columns(2)
    chart(overlay_figure(image, seg, settings.opacity, lang), key="segment_overlay", container=left)
    chart(confidence_figure(seg, lang), key="segment_confidence", container=right)
    left, right = st.columns(2)
    with left:
        st.subheader(t("segment.legend"))
        chart(legend_figure(class_shares(seg, lang), seg.trained, lang), key="segment_legend")
    with right:
        timing_panel(seg, device, where)
        st.subheader(t("segment.downloads"))
        prefix = "untrained-" if not seg.trained else ""
        st.download_button(
            t("segment.download_mask"),
            mask_png(seg.labels),
            f"{prefix}mask.png",
            "image/png",
            key="segment_download_mask",
            on_click="ignore",
        )
        st.download_button(
            t("segment.download_overlay"),
            png_bytes(overlay(image, seg.labels, settings.opacity)),
            f"{prefix}overlay.png",
            "image/png",
            key="segment_download_overlay",
            on_click="ignore",
        )


header(LESSON)
device = st.session_state.get("device", default_device())
settings = controls(device)
photo = pick_photo("segment", LESSON)
if st.session_state.get("segment_src") == "camera":
    st.caption(t("segment.camera_note"))
if photo is not None:  # the photo at once, before any weights are fetched or the network runs
    st.image(photo[0], width=240, caption=t("segment.photo_preview", width=photo[0].width, height=photo[0].height))
weights = choose_weights(settings.name, LESSON)
if weights == "random":
    st.warning(t("segment.weights.untrained_note"))
if photo is not None and weights is not None:
    image, photo_key = photo
    ran = run(image, photo_key, settings, weights, device)
    if ran is not None:
        results(image, ran, settings, device)
quiz(LESSON)
what_to_notice(LESSON)
show_source(segment, top1, fuse_batchnorm)
